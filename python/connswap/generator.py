"""The synthetic generator of connswap-worker (docs/PROTOCOL.md §7.2, "The synthetic
generator"), implemented from the spec so that any client can verify a stream's text.

token(prompt, seq) is WORDS[fold(fnv1a64(utf8(prompt) || le64(seq)))] + " ".
"""

from __future__ import annotations

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK = (1 << 64) - 1

#: The 256 words, index 0 first (a wire constant: never reorder).
WORDS: tuple[str, ...] = (
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "river", "stone", "cloud",
    "light", "green", "small", "house", "garden", "bright", "silver", "morning", "evening",
    "winter", "summer", "autumn", "spring", "north", "south", "east", "west", "ocean",
    "forest", "meadow", "valley", "mountain", "island", "harbor", "bridge", "tower", "castle",
    "village", "city", "road", "path", "field", "hill", "lake", "shore", "wind", "rain",
    "snow", "storm", "sun", "moon", "star", "sky", "fire", "water", "earth", "air", "iron",
    "gold", "copper", "glass", "paper", "wood", "apple", "bread", "honey", "salt", "pepper",
    "lemon", "olive", "grape", "cat", "horse", "bird", "eagle", "wolf", "bear", "deer",
    "otter", "quiet", "gentle", "swift", "steady", "calm", "bold", "warm", "cold", "early",
    "late", "old", "new", "young", "ancient", "modern", "simple", "red", "blue", "yellow",
    "white", "black", "violet", "orange", "grey", "walks", "runs", "sings", "reads", "writes",
    "builds", "carries", "follows", "finds", "keeps", "holds", "opens", "closes", "turns",
    "watches", "hears", "under", "above", "near", "beyond", "across", "through", "beside",
    "within", "and", "but", "while", "because", "where", "when", "then", "still", "a", "one",
    "two", "three", "four", "five", "many", "few", "friend", "stranger", "child", "teacher",
    "farmer", "sailor", "painter", "singer", "song", "story", "letter", "book", "map", "key",
    "door", "window", "table", "chair", "lamp", "candle", "clock", "bell", "drum", "flute",
    "slowly", "gladly", "softly", "always", "never", "often", "again", "together", "dream",
    "memory", "promise", "secret", "answer", "question", "reason", "purpose", "journey",
    "harvest", "festival", "market", "twilight", "shadow", "echo", "whisper", "valued",
    "hidden", "distant", "golden", "wooden", "frozen", "gentler", "shining", "triangle",
    "circle", "square", "corner", "center", "edge", "line", "point", "signal", "packet",
    "stream", "token", "worker", "director", "client", "network", "migrate", "resume",
    "continue", "arrive", "depart", "return", "remain", "begin", "number", "letters", "voice",
    "color", "shape", "sound", "season", "moment", "people", "family", "country", "world",
    "nation", "continent", "planet", "orchard", "bakes", "paints", "climbs", "swims", "dances",
    "laughs", "waits", "rests", "kind", "proud", "wise", "brave", "honest", "clever",
    "patient", "curious",
)


def demo_hash(prompt: str, seq: int) -> int:
    """64-bit FNV-1a over the prompt's UTF-8 bytes, then `seq` as 8 little-endian bytes."""
    h = _FNV_OFFSET
    for b in prompt.encode("utf-8") + seq.to_bytes(8, "little"):
        h = ((h ^ b) * _FNV_PRIME) & _MASK
    return h


def fold(h: int) -> int:
    """The 64-bit hash xor-folded to 8 bits."""
    h ^= h >> 32
    h ^= h >> 16
    h ^= h >> 8
    return h & 0xFF


def demo_token(prompt: str, seq: int) -> str:
    """The text of token `seq` (1-based) of a stream for `prompt`: a word and a space."""
    return WORDS[fold(demo_hash(prompt, seq))] + " "
