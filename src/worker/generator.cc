#include "worker/generator.h"

#include <array>

namespace connswap::worker {
namespace {

// 256 distinct lowercase words. Appending, removing or reordering changes every demo
// stream and breaks verification between versions: treat this table as a wire constant.
constexpr std::array<std::string_view, 256> kDemoWords = {
    "the",      "quick",    "brown",    "fox",     "jumps",    "over",      "lazy",    "dog",
    "river",    "stone",    "cloud",    "light",   "green",    "small",     "house",   "garden",
    "bright",   "silver",   "morning",  "evening", "winter",   "summer",    "autumn",  "spring",
    "north",    "south",    "east",     "west",    "ocean",    "forest",    "meadow",  "valley",
    "mountain", "island",   "harbor",   "bridge",  "tower",    "castle",    "village", "city",
    "road",     "path",     "field",    "hill",    "lake",     "shore",     "wind",    "rain",
    "snow",     "storm",    "sun",      "moon",    "star",     "sky",       "fire",    "water",
    "earth",    "air",      "iron",     "gold",    "copper",   "glass",     "paper",   "wood",
    "apple",    "bread",    "honey",    "salt",    "pepper",   "lemon",     "olive",   "grape",
    "cat",      "horse",    "bird",     "eagle",   "wolf",     "bear",      "deer",    "otter",
    "quiet",    "gentle",   "swift",    "steady",  "calm",     "bold",      "warm",    "cold",
    "early",    "late",     "old",      "new",     "young",    "ancient",   "modern",  "simple",
    "red",      "blue",     "yellow",   "white",   "black",    "violet",    "orange",  "grey",
    "walks",    "runs",     "sings",    "reads",   "writes",   "builds",    "carries", "follows",
    "finds",    "keeps",    "holds",    "opens",   "closes",   "turns",     "watches", "hears",
    "under",    "above",    "near",     "beyond",  "across",   "through",   "beside",  "within",
    "and",      "but",      "while",    "because", "where",    "when",      "then",    "still",
    "a",        "one",      "two",      "three",   "four",     "five",      "many",    "few",
    "friend",   "stranger", "child",    "teacher", "farmer",   "sailor",    "painter", "singer",
    "song",     "story",    "letter",   "book",    "map",      "key",       "door",    "window",
    "table",    "chair",    "lamp",     "candle",  "clock",    "bell",      "drum",    "flute",
    "slowly",   "gladly",   "softly",   "always",  "never",    "often",     "again",   "together",
    "dream",    "memory",   "promise",  "secret",  "answer",   "question",  "reason",  "purpose",
    "journey",  "harvest",  "festival", "market",  "twilight", "shadow",    "echo",    "whisper",
    "valued",   "hidden",   "distant",  "golden",  "wooden",   "frozen",    "gentler", "shining",
    "triangle", "circle",   "square",   "corner",  "center",   "edge",      "line",    "point",
    "signal",   "packet",   "stream",   "token",   "worker",   "director",  "client",  "network",
    "migrate",  "resume",   "continue", "arrive",  "depart",   "return",    "remain",  "begin",
    "number",   "letters",  "voice",    "color",   "shape",    "sound",     "season",  "moment",
    "people",   "family",   "country",  "world",   "nation",   "continent", "planet",  "orchard",
    "bakes",    "paints",   "climbs",   "swims",   "dances",   "laughs",    "waits",   "rests",
    "kind",     "proud",    "wise",     "brave",   "honest",   "clever",    "patient", "curious",
};

// Xor-fold the 64-bit hash to 8 bits so every input byte influences the word index.
std::uint8_t fold(std::uint64_t h) {
  h ^= h >> 32;
  h ^= h >> 16;
  h ^= h >> 8;
  return static_cast<std::uint8_t>(h & 0xffU);
}

}  // namespace

std::uint64_t demo_hash(std::string_view prompt, std::uint64_t seq) {
  constexpr std::uint64_t kOffsetBasis = 14695981039346656037ULL;
  constexpr std::uint64_t kPrime = 1099511628211ULL;
  std::uint64_t h = kOffsetBasis;
  for (char c : prompt) {
    h ^= static_cast<std::uint8_t>(c);
    h *= kPrime;
  }
  for (int i = 0; i < 8; ++i) {
    h ^= (seq >> (8 * i)) & 0xffU;
    h *= kPrime;
  }
  return h;
}

std::string_view demo_word(std::uint8_t index) {
  return kDemoWords[index];
}

std::string demo_token(std::string_view prompt, std::uint64_t seq) {
  std::string out(demo_word(fold(demo_hash(prompt, seq))));
  out.push_back(' ');
  return out;
}

std::string DemoGenerator::token(const GenerateRequest& req,
                                 std::uint64_t seq,
                                 std::span<const std::string> /*prefix*/) const {
  return demo_token(req.prompt, seq);
}

}  // namespace connswap::worker
