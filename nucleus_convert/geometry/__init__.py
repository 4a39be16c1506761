"""Pure geometry helpers: numpy in, numpy or plain numbers out, no I/O beyond what is named."""
