"""The SDK's pure parts against the spec's examples and the C++ golden values, and
connswap-certs' keys loaded by Python's cryptography (issue 16 item 7)."""

import pathlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

import connswap
from connswap._names import name_matches
from connswap.generator import WORDS, demo_hash
from connswap.wire import FrameDecoder, FrameError, Kind, decode_varint, encode_frame, \
    encode_varint
from connswap_cluster import program


def test_frames_match_the_spec_examples():
    # §2: a MESSAGE with body 68 69 is 03 02 68 69; an empty OK trailer is 01 03.
    assert encode_frame(Kind.MESSAGE, b"hi") == bytes.fromhex("03026869")
    assert encode_frame(Kind.TRAILER, b"") == bytes.fromhex("0103")
    # RFC 9000 §A.1's varint examples, and non-minimal encodings decode too.
    for hex_, value in [("25", 37), ("7bbd", 15293), ("9d7f3e7d", 494878333),
                        ("c2197c5eff14e88c", 151288809941952652)]:
        assert encode_varint(value) == bytes.fromhex(hex_)
        assert decode_varint(bytes.fromhex(hex_)) == (value, len(hex_) // 2)
    assert decode_varint(bytes.fromhex("4025")) == (37, 2)
    assert decode_varint(bytes.fromhex("7b")) is None


def test_decoder_splits_frames_across_reads_and_enforces_the_limit():
    data = encode_frame(Kind.HEADER, b"h") + encode_frame(Kind.MESSAGE, b"x" * 300)
    d = FrameDecoder()
    frames = [f for b in data for f in d.feed(bytes([b]))]
    assert [(f.kind, f.body) for f in frames] == [(1, b"h"), (2, b"x" * 300)]
    with pytest.raises(FrameError) as info:
        FrameDecoder(max_body=10).feed(encode_varint(12))
    assert info.value.code == connswap.StatusCode.RESOURCE_EXHAUSTED
    assert FrameDecoder(max_body=10).feed(encode_frame(Kind.MESSAGE, b"x" * 10))
    with pytest.raises(FrameError):
        FrameDecoder().feed(b"\x00")


def test_generator_matches_the_cpp_golden_values():
    # tests/worker/generator_test.cc
    for prompt, seq, h, word in [("hello", 1, 0xfa60786ad0fd424a, "often "),
                                 ("hello", 2, 0xdb65b161c60df829, "closes "),
                                 ("hello", 31, 0x302c3ec53e562794, "copper "),
                                 ("Tell me a story", 1, 0x23ae8becf9e81c9b, "across "),
                                 ("Tell me a story", 1000000, 0xec3e6ae213cb69d3, "earth ")]:
        assert demo_hash(prompt, seq) == h
        assert connswap.demo_token(prompt, seq) == word
    text = "".join(connswap.demo_token("Tell me a story", s) for s in range(1, 13))
    assert text == "across old olive young violet olive still depart teacher key glass bakes "
    assert len(set(WORDS)) == 256 and WORDS[0] == "the" and WORDS[255] == "curious"


def test_every_status_code_has_its_exception():
    for code in connswap.StatusCode:
        if code == connswap.StatusCode.OK:
            continue
        e = connswap.error_for(code, "why")
        assert isinstance(e, connswap.ConnswapError) and e.code == code and e.message == "why"
        assert type(e).__name__.lower() == code.name.replace("_", "").lower()
    assert connswap.error_for(99).code == connswap.StatusCode.UNKNOWN


def test_connswap_certs_keys_load_in_python(tmp_path):
    """Before the fix about half of the keys had a 33-byte scalar that cryptography refuses:
    12 runs x 6 keys leave a chance of 2^-72 that none would."""
    import subprocess
    for i in range(12):
        out = tmp_path / f"certs{i}"
        subprocess.run([program("certs"), "--out", str(out)], check=True,
                       capture_output=True)
        keys = sorted(out.glob("*-key.pem"))
        assert len(keys) >= 6
        for key in keys:
            loaded = serialization.load_pem_private_key(key.read_bytes(), None)
            assert loaded.curve.name == "secp256r1"
            assert loaded.private_numbers().private_value.bit_length() <= 256
    director = x509.load_pem_x509_certificate(
        pathlib.Path(tmp_path / "certs0" / "director.pem").read_bytes())
    assert name_matches(director, "localhost") and name_matches(director, "127.0.0.1")
    assert name_matches(director, "::1") and not name_matches(director, "example.com")
