"""The shared test vectors (tests/vectors/connswap-v1.txt) against the Python SDK; the C++
tests (tests/vectors/vectors_test.cc) check the same file. Key derivation, tokens and
snapshots are recomputed here with `cryptography`'s HKDF, HMAC and AES-GCM, from
PROTOCOL.md §8.1-§8.4."""

import hashlib
import pathlib

import pytest
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import connswap
from connswap.generator import demo_hash
from connswap.v1 import director_pb2, migration_pb2, rpc_pb2
from connswap.wire import FrameDecoder, FrameError, Kind, decode_varint, encode_frame, \
    encode_varint

FILE = pathlib.Path(__file__).resolve().parent.parent / "vectors" / "connswap-v1.txt"


def vectors(kind):
    rows = [line.split()[1:] for line in FILE.read_text().splitlines()
            if line.split(" ", 1)[0] == kind]
    assert rows, f"no {kind} vectors"
    return rows


def unhex(h):
    return b"" if h == "-" else bytes.fromhex(h)


def test_varints():
    for value, enc in vectors("varint"):
        assert encode_varint(int(value)).hex() == enc
        assert decode_varint(bytes.fromhex(enc)) == (int(value), len(enc) // 2)
    for enc, value in vectors("varint_decode"):
        assert decode_varint(bytes.fromhex(enc)) == (int(value), len(enc) // 2)


def test_frames_and_the_limit():
    for kind, body, frame in vectors("frame"):
        assert encode_frame(Kind(int(kind)), unhex(body)).hex() == frame
        [decoded] = FrameDecoder().feed(bytes.fromhex(frame))
        assert (decoded.kind, decoded.body) == (int(kind), unhex(body))
    for max_body, length, verdict in vectors("frame_limit"):
        decoder = FrameDecoder(max_body=int(max_body))
        if verdict == "accept":
            assert decoder.feed(encode_varint(int(length))) == []
        else:
            with pytest.raises(FrameError):
                decoder.feed(encode_varint(int(length)))


def test_envelopes():
    for method, timeout, conn, frame in vectors("header"):
        header = rpc_pb2.CallHeader(method=method, timeout_ms=int(timeout))
        if conn != "-":
            header.metadata["connection-id"] = conn.encode()
        assert encode_frame(Kind.HEADER, header.SerializeToString()).hex() == frame
    for code, message, frame in vectors("trailer"):
        [decoded] = FrameDecoder().feed(bytes.fromhex(frame))
        status = rpc_pb2.Status.FromString(decoded.body)
        assert (decoded.kind, status.code, status.message) == \
            (Kind.TRAILER, int(code), unhex(message).decode())


def test_synthetic_generator():
    for prompt, seq, hash_, text in vectors("token"):
        p = unhex(prompt).decode()
        assert demo_hash(p, int(seq)) == int(hash_, 16)
        assert connswap.demo_token(p, int(seq)) == unhex(text).decode()


def derive(key, info):
    return HKDF(hashes.SHA256(), 32, b"connswap/v1 cluster key", info).derive(key)


def test_key_derivation():
    for key, token_key, snapshot_key in vectors("hkdf"):
        assert derive(bytes.fromhex(key), b"connswap/v1 resume-token hmac-sha256").hex() == \
            token_key
        assert derive(bytes.fromhex(key), b"connswap/v1 snapshot aes-256-gcm").hex() == \
            snapshot_key


def test_resume_tokens():
    for (key_id, key, conn, stream_id, req, snap, issued, expires, nonce,
         token) in vectors("resume_token"):
        t = bytes.fromhex(token)
        assert len(t) == 141 + len(key_id) + len(conn)
        body = (b"CT\x02" + bytes([len(key_id)]) + key_id.encode() + bytes([len(conn)])
                + conn.encode() + int(stream_id).to_bytes(8, "big") + bytes.fromhex(req)
                + bytes.fromhex(snap) + int(issued).to_bytes(8, "big")
                + int(expires).to_bytes(8, "big") + bytes.fromhex(nonce))
        assert t[:-32] == body
        mac = hmac.HMAC(derive(bytes.fromhex(key), b"connswap/v1 resume-token hmac-sha256"),
                        hashes.SHA256())
        mac.update(body)
        assert mac.finalize() == t[-32:]


def test_request_digests():
    for prompt, max_tokens, start_seq, digest in vectors("request_digest"):
        request = director_pb2.GenerateRequest(prompt=unhex(prompt).decode(),
                                               max_tokens=int(max_tokens),
                                               start_seq=int(start_seq) or 1)
        assert hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest() == \
            digest


def test_snapshots_open_and_reseal():
    for (key_id, key, conn, stream_id, prompt, max_tokens, next_seq, window, migrations,
         created, failovers, salt, nonce, sealed) in vectors("snapshot"):
        sealed_b, salt_b = bytes.fromhex(sealed), bytes.fromhex(salt)
        head = b"CS\x02" + bytes([len(key_id)]) + key_id.encode() + salt_b
        assert sealed_b.startswith(head + bytes.fromhex(nonce))
        subkey = HKDF(hashes.SHA256(), 32, b"connswap/v1 snapshot subkey", salt_b).derive(
            derive(bytes.fromhex(key), b"connswap/v1 snapshot aes-256-gcm"))
        aead = AESGCM(subkey)
        plain = aead.decrypt(bytes.fromhex(nonce), sealed_b[len(head) + 12:],
                             head + conn.encode())
        snap = migration_pb2.StreamSnapshot.FromString(plain)
        assert (snap.connection_id, snap.stream_id, snap.next_seq) == \
            (conn, int(stream_id), int(next_seq))
        assert snap.request.prompt == unhex(prompt).decode()
        assert snap.request.max_tokens == int(max_tokens)
        assert list(snap.window) == ([] if window == "-" else
                                     [bytes.fromhex(w).decode() for w in window.split(",")])
        assert (snap.migrations, snap.created_at, snap.failovers) == \
            (int(migrations), int(created), int(failovers))
        again = aead.encrypt(bytes.fromhex(nonce), snap.SerializeToString(deterministic=True),
                             head + conn.encode())
        assert head + bytes.fromhex(nonce) + again == sealed_b
