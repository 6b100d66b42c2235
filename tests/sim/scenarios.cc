#include "sim/scenarios.h"

#include <array>
#include <random>

#include "sim/sim.h"

namespace connswap::sim {
namespace {

// What happens to worker 0, which serves every stream when the failure comes (workers 1
// and 2 register only after the streams were placed).
enum class Mode : std::uint8_t {
  kNone,           // nothing: every stream completes on worker 0
  kError,          // FailurePlan kError: in-band error, then refusals for a while
  kCrash,          // FailurePlan kCrash: the process vanishes, peers see silence
  kHang,           // FailurePlan kHang: no tokens, no heartbeats, QUIC still answers
  kFreeze,         // the host stops (no QUIC either) and continues 1.5 s later
  kHeartbeatLoss,  // its MGMT path to the director is cut; Generate keeps flowing
  kDrain,          // the worker drains as on SIGTERM
  kPartitionHeal,  // cut from the director entirely for 1 s, then back
  kFlapCrash,      // crashes and restarts three times
  kFlapPartition,  // its path to the director goes down and up four times
  kLoneCrash,      // the only worker crashes: nothing to fail over to
};

struct ModeInfo {
  const char* name;
  Mode mode;
};

constexpr auto kModes = std::to_array<ModeInfo>({
    {"none", Mode::kNone},
    {"error", Mode::kError},
    {"crash", Mode::kCrash},
    {"hang", Mode::kHang},
    {"freeze", Mode::kFreeze},
    {"heartbeat-loss", Mode::kHeartbeatLoss},
    {"drain", Mode::kDrain},
    {"partition-heal", Mode::kPartitionHeal},
    {"flap-crash", Mode::kFlapCrash},
    {"flap-partition", Mode::kFlapPartition},
    {"lone-crash", Mode::kLoneCrash},
});
constexpr auto kLossPercent = std::to_array<int>({0, 1, 5});

// Time scale: 20 ms tokens, failures 600 ms in; the director's detectors scaled alike.
constexpr Duration kTokenInterval = 20 * kMillisecond;
constexpr Duration kFailAt = 600 * kMillisecond;
constexpr Duration kSpareWorkersAt = 200 * kMillisecond;
constexpr Duration kSpareFailAfter = 1 * kSecond;  // flapping scenarios only
constexpr Duration kRunLimit = 60 * kSecond;
constexpr Duration kQuietAfter = 3 * kSecond;
constexpr std::uint32_t kTokens = 60;
constexpr std::uint32_t kLongTokens = 100;  // outlasts the heartbeat timeout

director::DirectorConfig director_config() {
  director::DirectorConfig c;
  c.heartbeat_timeout = 900 * kMillisecond;  // workers heartbeat every 300 ms
  c.failure_hold = 1 * kSecond;
  c.first_token_timeout = 3 * kSecond;  // a lost handshake packet costs ngtcp2 ~1 s
  c.min_stall = 300 * kMillisecond;
  c.worker_wait = 2 * kSecond;
  c.handover_timeout = 2 * kSecond;
  return c;
}

bool flapping(Mode mode) {
  return mode == Mode::kFlapCrash || mode == Mode::kFlapPartition;
}

worker::WorkerConfig worker_config(Mode mode, Duration fail_after = kFailAt) {
  worker::WorkerConfig c;
  c.token_interval = kTokenInterval;
  c.heartbeat_interval = 300 * kMillisecond;
  c.recovery_after = 1 * kSecond;
  c.fail_after = fail_after;
  switch (mode) {
    case Mode::kError:
      c.fail_mode = worker::FailMode::kError;
      break;
    case Mode::kCrash:
    case Mode::kLoneCrash:
      c.fail_mode = worker::FailMode::kCrash;
      break;
    case Mode::kHang:
      c.fail_mode = worker::FailMode::kHang;
      break;
    default:
      c.fail_mode = worker::FailMode::kNone;
      c.fail_after = 0;
  }
  return c;
}

std::uint32_t pick_streams(std::mt19937_64& rng) {
  const int r = std::uniform_int_distribution<int>(0, 99)(rng);
  return r < 25 ? 1 : r < 60 ? 10 : r < 85 ? 50 : 200;
}

// Schedules what `mode` does to worker 0 (everything but the FailurePlan modes).
void script(Sim& sim, Mode mode, Timestamp t0) {
  const Address w0 = Sim::worker_host(0);
  const Timestamp fail = t0 + kFailAt;
  switch (mode) {
    case Mode::kFreeze:
      sim.at(fail, [&sim, w0] { sim.freeze(w0, true); });
      sim.at(fail + 1500 * kMillisecond, [&sim, w0] { sim.freeze(w0, false); });
      break;
    case Mode::kHeartbeatLoss:
      sim.at(fail, [&sim, w0] { sim.net().set_partition(w0, sim.director_mgmt(), true); });
      break;
    case Mode::kDrain:
      sim.at(fail, [&sim] {
        WorkerNode& w = sim.worker(0);
        w.service->start_drain();
        w.registration->announce_drain(sim.now());
      });
      break;
    case Mode::kPartitionHeal: {
      Address director = sim.director_user();
      director.set_port(0);
      sim.at(fail, [&sim, w0, director] { sim.net().set_partition(w0, director, true); });
      sim.at(fail + 1 * kSecond,
             [&sim, w0, director] { sim.net().set_partition(w0, director, false); });
      break;
    }
    case Mode::kFlapCrash:
      for (int i = 0; i < 3; ++i) {
        const Timestamp t = fail + static_cast<Duration>(i) * 500 * kMillisecond;
        sim.at(t, [&sim] { sim.crash(sim.worker(0)); });
        sim.at(t + 300 * kMillisecond, [&sim] { sim.restart(sim.worker(0)); });
      }
      break;
    case Mode::kFlapPartition: {
      Address director = sim.director_user();
      director.set_port(0);
      for (int i = 0; i < 4; ++i) {
        const Timestamp t = fail + static_cast<Duration>(i) * 600 * kMillisecond;
        sim.at(t, [&sim, w0, director] { sim.net().set_partition(w0, director, true); });
        sim.at(t + 400 * kMillisecond,
               [&sim, w0, director] { sim.net().set_partition(w0, director, false); });
      }
      break;
    }
    default:
      break;
  }
}

struct Parsed {
  Mode mode = Mode::kNone;
  int loss = -1;
};

Parsed parse(const std::string& name) {
  Parsed p;
  for (const auto& m : kModes) {
    for (int loss : kLossPercent) {
      if (name == std::string(m.name) + "/loss" + std::to_string(loss)) {
        p = {m.mode, loss};
      }
    }
  }
  return p;
}

std::uint64_t reason_count(const services::DirectorStats& s, director::FailureReason r) {
  return s.migrations_by_reason[static_cast<std::size_t>(r)];
}

// What the director must have seen (only checked without loss, where nothing else fails).
void check_reasons(Mode mode, const services::DirectorStats& s, std::vector<std::string>& out) {
  using director::FailureReason;
  auto expect = [&](bool ok, const char* what) {
    if (!ok) {
      out.push_back(std::string("director stats: expected ") + what);
    }
  };
  switch (mode) {
    case Mode::kNone:
      expect(s.router.failovers == 0 && s.router.drains == 0, "no migration");
      break;
    case Mode::kError:
      expect(reason_count(s, FailureReason::kWorkerError) > 0, "an error migration");
      break;
    case Mode::kHeartbeatLoss:
      expect(reason_count(s, FailureReason::kHeartbeatLost) > 0, "a heartbeat_lost migration");
      break;
    case Mode::kDrain:
      expect(s.router.drains > 0 && s.router.failovers == 0, "drains and no failover");
      break;
    case Mode::kLoneCrash:
      break;
    default:
      expect(s.router.failovers > 0, "a failover");
  }
}

void check_quiet(Sim& sim, std::vector<std::string>& out) {
  const auto stats = sim.director().stats();
  if (stats.active_streams != 0 || stats.blocked_streams != 0) {
    out.push_back("director: " + std::to_string(stats.active_streams) + " streams (" +
                  std::to_string(stats.blocked_streams) + " blocked) left after the clients ended");
  }
  for (int i = 0; i < 3; ++i) {
    if (!sim.has_worker(i)) {
      continue;
    }
    WorkerNode& w = sim.worker(i);
    // A hung worker keeps its cancelled calls: the director's cancel is a STOP_SENDING, which
    // ngtcp2 0.12.1 reports only when the worker next writes (quic/event.h), and it never does.
    if (!w.dead && sim.state(w.host()) == HostState::kUp && !w.service->status().hung &&
        w.service->status().load != 0) {
      out.push_back(w.config.label + ": " + std::to_string(w.service->status().load) +
                    " streams left after the clients ended");
    }
  }
}

void check_stream(std::size_t i,
                  const services::GenerateResult& r,
                  std::uint32_t tokens,
                  bool unavailable_ok,
                  bool unavailable_required,
                  std::uint32_t migration_limit,
                  std::vector<std::string>& out) {
  const auto& t = r.tally;
  const std::string id = "stream " + std::to_string(i) + ": ";
  if (t.duplicated != 0 || t.out_of_order != 0 || t.mismatched != 0 || t.protocol_errors != 0) {
    out.push_back(id + "not exactly once in order: duplicated=" + std::to_string(t.duplicated) +
                  " out_of_order=" + std::to_string(t.out_of_order) +
                  " mismatched=" + std::to_string(t.mismatched) +
                  " protocol_errors=" + std::to_string(t.protocol_errors));
  }
  if (!r.status) {
    out.push_back(id + "never ended");
    return;
  }
  if (r.status->ok()) {
    if (unavailable_required) {
      out.push_back(id + "ended OK, expected UNAVAILABLE (no worker left)");
    }
    if (!t.verified || t.tokens != tokens) {
      out.push_back(id + "OK but not verified: tokens=" + std::to_string(t.tokens) + "/" +
                    std::to_string(tokens) + " lost=" + std::to_string(t.lost));
    }
    return;
  }
  const bool unavailable = r.status->code == rpc::StatusCode::kUnavailable;
  // Documented (PROTOCOL.md §7.1): UNAVAILABLE when no worker came within the wait, or
  // after more failovers than the migration limit.
  if (!unavailable ||
      !(unavailable_ok || unavailable_required || t.migrations >= migration_limit)) {
    out.push_back(id + "ended " + r.status->to_string() + " after " + std::to_string(t.tokens) +
                  " tokens, " + std::to_string(t.migrations) + " migrations");
  }
}

}  // namespace

std::vector<std::string> scenario_names() {
  std::vector<std::string> out;
  for (const auto& m : kModes) {
    for (int loss : kLossPercent) {
      out.push_back(std::string(m.name) + "/loss" + std::to_string(loss));
    }
  }
  return out;
}

ScenarioResult run_scenario(const std::string& name, std::uint64_t seed) {
  ScenarioResult result;
  const Parsed p = parse(name);
  if (p.loss < 0) {
    result.failures.push_back("unknown scenario");
    return result;
  }
  std::mt19937_64 params(seed * 0x9E3779B97F4A7C15ULL + 7);
  SimOptions options;
  options.seed = seed;
  options.director = director_config();
  options.link.delay = std::uniform_int_distribution<Duration>(1, 10)(params) * kMillisecond;
  options.link.jitter = options.link.delay / 2;
  options.link.loss = p.loss / 100.0;
  options.link.reorder = p.loss > 0 ? 0.02 : 0.0;
  options.link.duplicate = p.loss > 0 ? 0.01 : 0.0;
  result.streams = pick_streams(params);
  const std::uint32_t tokens = p.mode == Mode::kHeartbeatLoss ? kLongTokens : kTokens;

  Sim sim(options);
  const Timestamp t0 = sim.now();
  sim.add_worker(0, worker_config(p.mode));
  if (p.mode != Mode::kLoneCrash) {
    // While worker 0 flaps, the spares fail too (an in-band error 1 s after they start,
    // unavailable for 1 s), so streams are sent back to the flapping worker.
    const Mode spare = flapping(p.mode) ? Mode::kError : Mode::kNone;
    sim.at(t0 + kSpareWorkersAt, [&sim, spare] {
      sim.add_worker(1, worker_config(spare, kSpareFailAfter));
      sim.add_worker(2, worker_config(spare, kSpareFailAfter));
    });
  }
  services::GenerateClientConfig cc;
  cc.connection_id = "sim-" + std::to_string(seed);
  cc.streams = result.streams;
  cc.request = {.prompt = "sim", .max_tokens = tokens};
  cc.log_tokens = false;
  cc.resume = false;
  ClientNode& client = sim.add_client(0, cc);
  script(sim, p.mode, t0);

  if (!sim.run_until([&sim] { return sim.clients_finished(); }, kRunLimit)) {
    result.failures.push_back("clients not finished after " + std::to_string(kRunLimit / kSecond) +
                              " s of virtual time");
  }
  // Afterwards nothing may linger: no client stream at the director, no call at a worker
  // (the director cancels what it abandoned once the worker is reachable again).
  sim.run_until([] { return false; }, kQuietAfter);
  check_quiet(sim, result.failures);
  if (sim.runaway != 0) {
    result.failures.push_back("a component never went quiet (settle cap hit)");
  }
  const auto stats = sim.director().stats();
  if (stats.router.illegal_transitions != 0) {
    result.failures.push_back("director: illegal state transitions: " +
                              std::to_string(stats.router.illegal_transitions));
  }
  if (p.loss == 0) {
    check_reasons(p.mode, stats, result.failures);
  }
  const auto results = client.client->results();
  for (std::size_t i = 0; i < results.size(); ++i) {
    check_stream(i,
                 results[i],
                 tokens,
                 flapping(p.mode),
                 p.mode == Mode::kLoneCrash,
                 options.director.migration_limit,
                 result.failures);
    result.tokens += results[i].tally.tokens;
    result.migrations += results[i].tally.migrations;
    const bool unavailable =
        results[i].status && results[i].status->code == rpc::StatusCode::kUnavailable;
    result.unavailable += unavailable ? 1 : 0;
  }
  if (result.failures.size() > 8) {  // one stream's story is enough to start from
    const std::size_t more = result.failures.size() - 8;
    result.failures.resize(8);
    result.failures.push_back("... and " + std::to_string(more) + " more");
  }
  result.virtual_seconds = static_cast<double>(sim.now() - t0) / kSecond;
  result.datagrams = sim.net().stats().sent;
  return result;
}

}  // namespace connswap::sim
