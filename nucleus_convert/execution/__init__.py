"""Running work in other processes: what every worker pool of the project shares."""
