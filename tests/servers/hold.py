"""Holds a TCP port: binds 127.0.0.1:PORT (argv[1]), listens, writes its pid to argv[2], then
sleeps for at most a minute (tests end it by pid before that)."""

import os
import socket
import sys
import time

s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
time.sleep(60)
