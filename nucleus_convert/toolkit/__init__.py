"""What every format's reader and writer needs, public so third-party plugins use it too."""
