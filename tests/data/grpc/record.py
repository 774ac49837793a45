#!/usr/bin/env python3
# Records what a gRPC server sends, one file per connection, for the replay
# tests in tests/unit/test_grpc.c: a unix-socket proxy in front of the CRI
# socket of a harness containerd (tests/integration/lib.sh).
# usage: record.py LISTEN_SOCKET SERVER_SOCKET OUT_PREFIX CONNECTIONS
import os
import select
import socket
import sys

listen_path, server_path, prefix, count = sys.argv[1:5]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
if os.path.exists(listen_path):
    os.unlink(listen_path)
srv.bind(listen_path)
srv.listen(1)
for n in range(1, int(count) + 1):
    client, _ = srv.accept()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.connect(server_path)
    with open("%s.%d.bin" % (prefix, n), "wb") as rec:
        open_ = True
        while open_:
            ready, _, _ = select.select([client, server], [], [])
            for s in ready:
                data = s.recv(65536)
                if not data:
                    open_ = False
                    break
                if s is server:
                    rec.write(data)
                    client.sendall(data)
                else:
                    server.sendall(data)
    client.close()
    server.close()
os.unlink(listen_path)
