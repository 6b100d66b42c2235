#!/usr/bin/env python3
"""Writes the seed corpora of rpc_fuzz, director_fuzz and front_fuzz (fuzz/corpus/<target>).

The three targets read their input as a program of one-byte opcodes with arguments
(fuzz/*_fuzz_program.h, fuzz/program.h); these seeds are short programs that reach the
interesting paths at once. Keep the opcode numbers in step with the headers.
Usage: fuzz/make_seeds.py   (rewrites the seed files; reproducers found later stay)
"""
import os
import struct

ROOT = os.path.dirname(os.path.abspath(__file__))


def u16(n):
    return struct.pack("<H", n)


def blob(data):
    return u16(len(data)) + data


# rpc_fuzz (rpc_fuzz_program.h)
OPEN, RAW, FRAME, FIN, RESET, STOP, ACKED, TIME, START, ACTION, TOGGLE, END = range(12)
A, B, UNARY, UNKNOWN, BAD = range(5)


def header(stream, method, timeout=0, fin=0):
    return bytes([FRAME, stream, 0, method, timeout, 0, fin])


def message(stream, body, fin=0):
    return bytes([FRAME, stream, 1]) + blob(body) + bytes([fin])


def filler(stream, size, fin=0):
    return bytes([FRAME, stream, 2]) + u16(size) + bytes([0x41, fin])


def trailer(stream, code, fin=1):
    return bytes([FRAME, stream, 3, code, 4, fin])


RPC = {
    "bidi_echo": bytes([OPEN]) + header(0, A) + message(0, b"hi") + message(0, b"yo", 1)
    + bytes([ACTION, 0, 2]) + blob(b"out") + bytes([ACTION, 0, 3]),
    "unary": bytes([OPEN]) + header(0, UNARY) + message(0, b"\x0a\x01x", 1),
    "unary_two_requests": bytes([OPEN]) + header(0, UNARY) + message(0, b"") + message(0, b"", 1),
    "paused_reader": bytes([OPEN]) + header(0, B) + bytes([ACTION, 0, 0])
    + b"".join(filler(0, 1500) for _ in range(6)) + bytes([ACTION, 0, 1]),
    "client_call_trailer": bytes([START, A, 0]) + message(0, b"resp") + trailer(0, 0),
    "client_call_deadline": bytes([START, B, 1, 50, TIME]) + u16(100),
    "deadline_header": bytes([OPEN]) + header(0, A, 5) + bytes([TIME]) + u16(60),
    "oversized": bytes([OPEN]) + header(0, A) + bytes([RAW, 0]) + blob(b"\x02\xff\xff\x03") + b"\x00",
    "unknown_method": bytes([OPEN]) + header(0, UNKNOWN) + message(0, b"x", 1),
    "reset_mid_call": bytes([OPEN]) + header(0, A) + bytes([RAW, 0]) + blob(b"\x02\x10ab") + b"\x00"
    + bytes([RESET, 0, 7, STOP, 0, 8]),
    "undecodable": bytes([OPEN]) + header(0, A) + message(0, b"\xee"),
    "write_backpressure": bytes([OPEN]) + header(0, A)
    + b"".join(bytes([ACTION, 0, 6]) + u16(2000) for _ in range(4))
    + bytes([ACKED, 0]) + u16(8000) + bytes([ACTION, 0, 2]) + blob(b"more"),
    "blocked_open": bytes([TOGGLE, 1, 0, START, A, 0, ACTION, 0, 2]) + blob(b"early")
    + bytes([TOGGLE, 0, 0]) + message(0, b"r") + trailer(0, 2),
    "close": bytes([OPEN]) + header(0, A) + bytes([START, B, 0, END, 1]),
    "lost": bytes([OPEN]) + header(0, A) + bytes([END, 0]),
}

# director_fuzz (director_fuzz_program.h)
RAWGEN, GEN, RAWMGMT, MGMT, DTIME, CANCEL, CRASH = range(7)


def generate(prompt=20, max_tokens=5, conn=1, resume=None):
    out = bytes([GEN, prompt, max_tokens, 0, 0, 0])
    out += bytes([1]) + resume if resume is not None else bytes([0])
    return out + bytes([conn])


DIRECTOR = {
    "generate": generate() + bytes([DTIME]) + u16(500),
    "generate_raw": bytes([RAWGEN, 1]) + blob(b"\x0a\x02hi\x10\x03"),
    "generate_near_limit": generate(prompt=0xFF) + b"\x20",
    "bad_connection_id": bytes([RAWGEN, 3, 3]) + b"a\nb" + blob(b"\x10\x02"),
    "resume_captured": generate(max_tokens=9) + bytes([DTIME]) + u16(300)
    + generate(resume=bytes([1, 1, 3, 0])) + bytes([DTIME]) + u16(300),
    "resume_garbage": generate(resume=bytes([0, 4]) + b"junk" + bytes([2]) + b"zz" + bytes([3, 3, 0])),
    "move_and_drain": generate(max_tokens=0) + bytes([DTIME]) + u16(100)
    + bytes([MGMT, 1, 0, 2, 1, 1, 0]) + bytes([MGMT, 1, 1, 1]) + bytes([DTIME]) + u16(400),
    "register_hijack": bytes([MGMT, 1, 0, 0, 9]) + b"10.0.0.9:" + bytes([0])
    + generate() + bytes([DTIME]) + u16(300),
    "list_sessions": generate() + bytes([MGMT, 0]) + b"abcd" + bytes([3, 1, 0]),
    "raw_mgmt": bytes([RAWMGMT, 5]) + blob(b"\x0a\x03xyz") + bytes([RAWMGMT, 3]) + blob(b"\xff\xff"),
    "crash_failover": generate(max_tokens=0) + bytes([DTIME]) + u16(100) + bytes([CRASH, 0, DTIME])
    + u16(2000),
    "cancel": generate(max_tokens=0) + bytes([CANCEL, 0, DTIME]) + u16(100),
    # One more open stream on conn-1 than kMaxStreamsPerConnection, then the crashed
    # worker's heartbeat timeout (3 s) passes.
    "stream_limit": generate(max_tokens=0) * 9 + bytes([CRASH, 1, DTIME]) + u16(3999),
}

# front_fuzz (front_fuzz_program.h)
FBYTES, FREQ, FTIME, FDRAIN, FCLOSE = range(5)


def chat(max_tokens=5, stream=1, lei=None, piece=255):
    body = bytes([1, 10, 1, max_tokens, stream, 1, 1])
    tail = bytes([1]) + lei if lei is not None else bytes([0])
    return bytes([FREQ, 0]) + body + tail + bytes([0, piece])


FRONT = {
    "chat_stream": chat() + bytes([FTIME]) + u16(1000),
    "chat_plain": chat(stream=0) + bytes([FTIME]) + u16(1000),
    "completions": bytes([FREQ, 1, 0, 8, 0, 3, 0, 0, 1, 0, 0, 255, FTIME]) + u16(800),
    "models_pipelined": bytes([FBYTES]) + blob(b"GET /v1/models HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n")
    + bytes([7]),
    "resume_captured": chat(max_tokens=9) + bytes([FTIME]) + u16(200)
    + chat(lei=bytes([0, 0])) + bytes([FTIME]) + u16(800),
    "resume_garbage": chat(lei=bytes([1, 6]) + b"abc.de" + bytes([0])) + bytes([FTIME]) + u16(300),
    "chunked": bytes([FBYTES]) + blob(b"POST /v1/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     b"e\r\n{\"prompt\":\"x\"}\r\n0\r\n\r\n") + bytes([3, FTIME]) + u16(500),
    "slow_reader": chat(max_tokens=11) + bytes([FTIME]) + u16(2000) + bytes([FDRAIN]) + u16(65535),
    "client_leaves": chat(max_tokens=0) + bytes([FTIME]) + u16(100) + bytes([FCLOSE]),
    "idle_timeout": bytes([FBYTES]) + blob(b"POST /v1/completions HTTP/1.1\r\nContent-Length: 10\r\n\r\n")
    + bytes([255, FTIME]) + u16(65535),
}


def write(target, seeds):
    folder = os.path.join(ROOT, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("rpc", RPC)
    write("director", DIRECTOR)
    write("front", FRONT)
