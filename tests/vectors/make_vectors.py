"""Writes connswap-v1.txt, the shared test vectors (docs/PROTOCOL.md), from the spec alone:
frames and varints (§2), envelopes (§3), the synthetic generator (§7.2.1), the cluster key
derivation (§8.1), resume tokens (§8.2), sealed snapshots (§8.3) and request digests
(§8.4). Needs the SDK's generated protobuf modules and cryptography (the SDK's venv has
both). The C++ tests (tests/vectors/vectors_test.cc) and the Python tests
(tests/sdk/test_sdk_vectors.py) check every line; rerun only to add vectors:
    build/release/sdk-venv/bin/python tests/vectors/make_vectors.py
"""

import hashlib
import hmac
import pathlib

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from connswap.generator import demo_hash, demo_token
from connswap.v1 import director_pb2, migration_pb2, rpc_pb2
from connswap.wire import Kind, encode_frame, encode_varint


def hkdf(key, salt, info, n=32):
    prk = hmac.new(salt, key, hashlib.sha256).digest()
    out, block, i = b"", b"", 1
    while len(out) < n:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
        i += 1
    return out[:n]


def token_key(cluster_key):
    prk_salt = b"connswap/v1 cluster key"
    return hkdf(cluster_key, prk_salt, b"connswap/v1 resume-token hmac-sha256")


def snapshot_key(cluster_key):
    return hkdf(cluster_key, b"connswap/v1 cluster key", b"connswap/v1 snapshot aes-256-gcm")


def resume_token(key_id, cluster_key, conn, stream_id, request_digest, snapshot_digest,
                 issued, expires, nonce):
    body = (b"CT" + bytes([2]) + bytes([len(key_id)]) + key_id.encode()
            + bytes([len(conn)]) + conn.encode() + stream_id.to_bytes(8, "big")
            + request_digest + snapshot_digest + issued.to_bytes(8, "big")
            + expires.to_bytes(8, "big") + nonce)
    return body + hmac.new(token_key(cluster_key), body, hashlib.sha256).digest()


def seal_snapshot(key_id, cluster_key, conn, plaintext, salt, nonce):
    """§8.3: header, then AES-256-GCM under the seal's HKDF subkey, AAD = header + conn."""
    head = b"CS" + bytes([2]) + bytes([len(key_id)]) + key_id.encode() + salt
    subkey = hkdf(snapshot_key(cluster_key), b"connswap/v1 snapshot subkey", salt)
    return head + nonce + AESGCM(subkey).encrypt(nonce, plaintext, head + conn.encode())


def h(b):
    return b.hex() if b else "-"


def main():
    lines = ["# connswap/1 shared test vectors (docs/PROTOCOL.md); made by make_vectors.py.",
             "# One vector per line, fields separated by one space; bytes in hex, '-' = empty."]
    lines.append("# varint VALUE MINIMAL-ENCODING (RFC 9000 §16 and its appendix A.1)")
    for v in [0, 37, 63, 64, 15293, 16383, 16384, 494878333, 1073741823, 1073741824,
              151288809941952652, (1 << 62) - 1]:
        lines.append(f"varint {v} {encode_varint(v).hex()}")
    lines.append("# varint_decode ENCODING VALUE (non-minimal encodings are valid)")
    for enc, v in [("4025", 37), ("800000ff", 255), ("c000000000000001", 1)]:
        lines.append(f"varint_decode {enc} {v}")
    lines.append("# frame KIND BODY FRAME (§2)")
    for kind, body in [(Kind.MESSAGE, b"hi"), (Kind.TRAILER, b""), (Kind.MESSAGE, b""),
                       (Kind.MESSAGE, bytes(range(64))), (Kind.HEADER, b"\x0a\x01x")]:
        lines.append(f"frame {int(kind)} {h(body)} {encode_frame(kind, body).hex()}")
    lines.append("# frame_limit MAX_BODY LENGTH accept|refuse (the limit counts the body)")
    for max_body, length, verdict in [(4194304, 4194305, "accept"), (4194304, 4194306, "refuse"),
                                      (10, 11, "accept"), (10, 12, "refuse")]:
        lines.append(f"frame_limit {max_body} {length} {verdict}")
    lines.append("# header METHOD TIMEOUT_MS CONNECTION_ID HEADER_FRAME (§3)")
    for method, timeout, conn in [("connswap.v1.Director/Generate", 0, ""),
                                  ("connswap.v1.Director/Generate", 1500, "conn-1234"),
                                  ("connswap.v1.Registry/Heartbeat", 2000, "")]:
        header = rpc_pb2.CallHeader(method=method, timeout_ms=timeout)
        if conn:
            header.metadata["connection-id"] = conn.encode()
        frame = encode_frame(Kind.HEADER, header.SerializeToString())
        lines.append(f"header {method} {timeout} {conn or '-'} {frame.hex()}")
    lines.append("# trailer CODE MESSAGE TRAILER_FRAME (§3, §4)")
    for code, msg in [(0, ""), (14, "no worker available"), (3, "connection-id: bad")]:
        frame = encode_frame(Kind.TRAILER,
                             rpc_pb2.Status(code=code, message=msg).SerializeToString())
        lines.append(f"trailer {code} {h(msg.encode())} {frame.hex()}")
    lines.append("# token PROMPT SEQ HASH TEXT (§7.2.1; prompt and text in hex)")
    for prompt, seq in [("hello", 1), ("hello", 2), ("hello", 31), ("Tell me a story", 1),
                        ("Tell me a story", 1000000), ("", 1), ("héllo wörld", 7),
                        ("p", 18446744073709551615)]:
        lines.append(f"token {h(prompt.encode())} {seq} {demo_hash(prompt, seq):016x} "
                     f"{demo_token(prompt, seq).encode().hex()}")
    lines.append("# hkdf CLUSTER_KEY TOKEN_KEY SNAPSHOT_KEY (§8.1)")
    key = bytes(range(1, 33))
    lines.append(f"hkdf {key.hex()} {token_key(key).hex()} {snapshot_key(key).hex()}")
    lines.append("# resume_token KEY_ID CLUSTER_KEY CONNECTION_ID STREAM_ID REQUEST_DIGEST "
                 "SNAPSHOT_DIGEST ISSUED EXPIRES NONCE TOKEN (§8.2)")
    req, snap = hashlib.sha256(b"request").digest(), hashlib.sha256(b"snapshot").digest()
    for key_id, conn, stream_id, issued in [("k1", "conn-1234", 7, 1733011200),
                                            ("k1733011200", "conn-00ff00ff00ff00ff",
                                             4231908837577150, 1765000000)]:
        nonce = bytes(range(16))
        tok = resume_token(key_id, key, conn, stream_id, req, snap, issued, issued + 300,
                           nonce)
        lines.append(f"resume_token {key_id} {key.hex()} {conn} {stream_id} {req.hex()} "
                     f"{snap.hex()} {issued} {issued + 300} {nonce.hex()} {tok.hex()}")
    lines.append("# request_digest PROMPT MAX_TOKENS START_SEQ SHA256 (§8.4: deterministic "
                 "GenerateRequest, start_seq 0 written as 1)")
    for prompt, max_tokens, start_seq in [("hello", 60, 0), ("Tell me a story", 0, 5)]:
        request = director_pb2.GenerateRequest(prompt=prompt, max_tokens=max_tokens,
                                               start_seq=start_seq or 1)
        digest = hashlib.sha256(request.SerializeToString(deterministic=True)).digest()
        lines.append(f"request_digest {h(prompt.encode())} {max_tokens} {start_seq} "
                     f"{digest.hex()}")
    lines.append("# snapshot KEY_ID CLUSTER_KEY CONNECTION_ID STREAM_ID PROMPT MAX_TOKENS "
                 "NEXT_SEQ WINDOW(hex,hex,...) MIGRATIONS CREATED_AT FAILOVERS SALT NONCE "
                 "SEALED (§8.3)")
    for conn, stream_id, prompt, max_tokens, next_seq, migrations, failovers in [
            ("conn-1234", 7, "hello", 60, 11, 1, 1),
            ("conn-00ff00ff00ff00ff", 4231908837577150, "Tell me a story", 0, 1, 0, 0)]:
        window = [demo_token(prompt, s) for s in range(max(1, next_seq - 3), next_seq)]
        snap = migration_pb2.StreamSnapshot(
            connection_id=conn, stream_id=stream_id,
            request=director_pb2.GenerateRequest(prompt=prompt, max_tokens=max_tokens,
                                                 start_seq=1),
            next_seq=next_seq, window=window, migrations=migrations, created_at=1733011200,
            failovers=failovers)
        salt, nonce = bytes(range(16, 32)), bytes(range(32, 44))
        sealed = seal_snapshot("k1", key, conn, snap.SerializeToString(deterministic=True),
                               salt, nonce)
        win = ",".join(w.encode().hex() for w in window) or "-"
        lines.append(f"snapshot k1 {key.hex()} {conn} {stream_id} {h(prompt.encode())} "
                     f"{max_tokens} {next_seq} {win} {migrations} 1733011200 {failovers} "
                     f"{salt.hex()} {nonce.hex()} {sealed.hex()}")
    out = pathlib.Path(__file__).resolve().parent / "connswap-v1.txt"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
