#include "relay.h"

#include <array>
#include <map>
#include <optional>
#include <utility>

#include <asio.hpp>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include "base/address.h"
#include "base/log.h"
#include "common/ready_file.h"
#include "impair/flows.h"
#include "impair/pipe.h"
#include "net/timer_queue.h"
#include "net/udp_socket.h"

namespace connswap::app {

namespace {

spdlog::logger& logger() {
  return log::get("impair");
}

// Plain datagrams both ways: GRO would hand us trains to split, GSO gains nothing here.
constexpr net::SocketOptions kSocketOptions{.gso = false, .gro = false};
constexpr Duration kHousekeeping = 200 * kMillisecond;  // flow expiry, target resolution
constexpr std::uint64_t kHousekeepingKey = ~std::uint64_t{0};
constexpr std::uint64_t kBlackholeKey = ~std::uint64_t{0} - 1;

enum Direction : std::uint64_t { kToTarget = 0, kToClient = 1 };

// SplitMix64's finalizer: independent streams for each link and direction from one seed.
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + (index + 1) * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// `@PATH#KEY`: the value of KEY in the ready-file at PATH, once it exists.
std::optional<Address> resolve(const std::string& target) {
  if (!target.starts_with("@")) {
    auto a = Address::parse(target);
    return a ? std::optional<Address>(*a) : std::nullopt;
  }
  const std::size_t hash = target.rfind('#');
  if (hash == std::string::npos) {
    return std::nullopt;
  }
  std::FILE* f = std::fopen(target.substr(1, hash - 1).c_str(), "r");
  if (f == nullptr) {
    return std::nullopt;
  }
  std::string text;
  std::array<char, 4096> chunk{};
  for (std::size_t n; (n = std::fread(chunk.data(), 1, chunk.size(), f)) > 0;) {
    text.append(chunk.data(), n);
  }
  std::fclose(f);
  auto fields = parse_ready(text);
  if (!fields) {
    return std::nullopt;
  }
  const std::string key = target.substr(hash + 1);
  for (const auto& [k, v] : *fields) {
    if (k == key) {
      auto a = Address::parse(v);
      return a ? std::optional<Address>(*a) : std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<LinkSpec> parse_link(const std::string& text) {
  const std::size_t a = text.find(',');
  const std::size_t b = a == std::string::npos ? a : text.find(',', a + 1);
  if (b == std::string::npos || a == 0 || b == a + 1 || b + 1 == text.size()) {
    return make_error(Errc::kInvalidArgument, "--link '" + text + "': expected NAME,LISTEN,TARGET");
  }
  LinkSpec spec{text.substr(0, a), text.substr(a + 1, b - a - 1), text.substr(b + 1)};
  if (!Address::parse(spec.listen)) {
    return make_error(Errc::kInvalidArgument, "--link '" + text + "': bad LISTEN address");
  }
  if (!spec.target.starts_with("@") && !Address::parse(spec.target)) {
    return make_error(Errc::kInvalidArgument, "--link '" + text + "': bad TARGET address");
  }
  if (spec.target.starts_with("@") && spec.target.rfind('#') == std::string::npos) {
    return make_error(Errc::kInvalidArgument, "--link '" + text + "': expected @PATH#KEY");
  }
  return spec;
}

struct Link {
  Link(LinkSpec s, const impair::Profile& profile, std::uint64_t seed, Duration idle)
      : spec(std::move(s)),
        to_target(profile, derive_seed(seed, 0)),
        to_client(profile, derive_seed(seed, 1)),
        flows(idle) {}
  struct Flow {
    Address client;
    std::unique_ptr<net::UdpSocket> upstream;
  };
  LinkSpec spec;
  std::optional<Address> target;
  std::unique_ptr<net::UdpSocket> listen;
  impair::Pipe to_target;
  impair::Pipe to_client;
  impair::Flows flows;
  std::map<std::uint64_t, Flow> by_flow;
  std::uint64_t unresolved_drops = 0;  // datagrams before the target was known
  std::uint64_t flows_opened = 0;
};

struct Relay::Impl {
  Impl(net::Loop& l, RelayConfig c)
      : loop(l),
        config(std::move(c)),
        blackhole(l.now(), config.blackholes),
        timers(l, [this](std::uint64_t key, Timestamp now) { on_timer(key, now); }),
        usr1(l.context(), SIGUSR1) {}

  Result<void> bind();
  void start();
  void on_listen_readable(std::size_t index);
  void on_upstream_readable(std::size_t index, std::uint64_t flow);
  // The flow of `client` on link `index`, opening its upstream socket if new.
  std::optional<std::uint64_t> open_flow(std::size_t index, const Address& client, Timestamp now);
  void flush(std::size_t index, Direction dir, Timestamp now);
  void on_timer(std::uint64_t key, Timestamp now);
  void housekeeping(Timestamp now);
  void log_blackhole(Timestamp now);
  void wait_usr1();
  void print_stats() const;

  net::Loop& loop;
  RelayConfig config;
  std::vector<std::unique_ptr<Link>> links;
  impair::Blackhole blackhole;
  bool blackhole_logged = false;  // the state last logged
  net::TimerQueue timers;
  asio::signal_set usr1;
  std::array<std::uint8_t, 65536> buf{};
};

Result<void> Relay::Impl::bind() {
  for (std::size_t i = 0; i < config.links.size(); ++i) {
    auto link = std::make_unique<Link>(
        config.links[i], config.profile, derive_seed(config.seed, i), config.flow_idle);
    auto listen = Address::parse(link->spec.listen);
    if (!listen) {
      return Unexpected(std::move(listen).error());
    }
    auto socket = net::UdpSocket::open(loop, *listen, kSocketOptions);
    if (!socket) {
      return make_error(Errc::kIo, "--link " + link->spec.name + ": " + socket.error().detail);
    }
    link->listen = std::move(*socket);
    links.push_back(std::move(link));
  }
  return {};
}

void Relay::Impl::start() {
  for (std::size_t i = 0; i < links.size(); ++i) {
    links[i]->listen->wait_readable([this, i] { on_listen_readable(i); });
  }
  timers.schedule(kHousekeepingKey, loop.now() + kHousekeeping);
  timers.schedule(kBlackholeKey, blackhole.next_change(loop.now()));
  log_blackhole(loop.now());
  wait_usr1();
}

void Relay::Impl::wait_usr1() {
  usr1.async_wait([this](const asio::error_code& ec, int) {
    if (ec) {
      return;
    }
    const Timestamp now = loop.refresh_now();
    blackhole.trigger(now, config.signal_blackhole);
    log_blackhole(now);
    timers.schedule(kBlackholeKey, blackhole.next_change(now));
    wait_usr1();
  });
}

std::optional<std::uint64_t> Relay::Impl::open_flow(std::size_t index,
                                                    const Address& client,
                                                    Timestamp now) {
  Link& link = *links[index];
  const impair::Flows::Lookup found = link.flows.on_client(client.to_string(), now);
  if (!found.created) {
    return found.id;
  }
  auto any = Address::parse(link.target->family() == AF_INET6 ? "[::]:0" : "0.0.0.0:0");
  auto socket = net::UdpSocket::open(loop, *any, kSocketOptions);
  if (!socket) {
    logger().warn("link={} client={}: cannot open an upstream socket: {}",
                  link.spec.name,
                  client.to_string(),
                  socket.error().detail);
    link.flows.remove(found.id);  // the next datagram tries again
    return std::nullopt;
  }
  const std::uint64_t id = found.id;
  (*socket)->wait_readable([this, index, id] { on_upstream_readable(index, id); });
  ++link.flows_opened;
  logger().info("link={} client={} flow={}: new mapping", link.spec.name, client.to_string(), id);
  link.by_flow.emplace(id, Link::Flow{client, std::move(*socket)});
  return id;
}

void Relay::Impl::on_listen_readable(std::size_t index) {
  const Timestamp now = loop.refresh_now();
  Link& link = *links[index];
  for (;;) {
    auto got = link.listen->recv(buf);
    if (!got || !*got) {
      break;  // EAGAIN, or an error on an unconnected socket (nothing to do but go on)
    }
    if (!link.target) {
      link.target = resolve(link.spec.target);
    }
    if (!link.target) {
      ++link.unresolved_drops;
      logger().debug("link={} target={}: target not known yet, datagram dropped",
                     link.spec.name,
                     link.spec.target);
      continue;
    }
    const std::optional<std::uint64_t> id = open_flow(index, (*got)->from, now);
    if (!id) {
      continue;
    }
    link.to_target.push(now,
                        impair::Datagram{*id, Bytes(buf.begin(), buf.begin() + (*got)->bytes)},
                        blackhole.active(now));
  }
  flush(index, kToTarget, now);
  link.listen->wait_readable([this, index] { on_listen_readable(index); });
}

void Relay::Impl::on_upstream_readable(std::size_t index, std::uint64_t id) {
  const Timestamp now = loop.refresh_now();
  Link& link = *links[index];
  auto it = link.by_flow.find(id);
  if (it == link.by_flow.end()) {
    return;  // expired meanwhile
  }
  for (;;) {
    auto got = it->second.upstream->recv(buf);
    if (!got || !*got) {
      break;
    }
    if (!((*got)->from == *link.target)) {
      continue;  // only the target answers through a mapping
    }
    link.flows.touch(id, now);
    link.to_client.push(now,
                        impair::Datagram{id, Bytes(buf.begin(), buf.begin() + (*got)->bytes)},
                        blackhole.active(now));
  }
  flush(index, kToClient, now);
  it->second.upstream->wait_readable([this, index, id] { on_upstream_readable(index, id); });
}

void Relay::Impl::flush(std::size_t index, Direction dir, Timestamp now) {
  Link& link = *links[index];
  impair::Pipe& pipe = dir == kToTarget ? link.to_target : link.to_client;
  while (auto d = pipe.pop(now)) {
    auto it = link.by_flow.find(d->flow);
    if (it == link.by_flow.end()) {
      continue;  // the mapping expired while the datagram was in flight
    }
    if (dir == kToTarget) {
      (void)it->second.upstream->send(*link.target, d->data, d->data.size());
    } else {
      (void)link.listen->send(it->second.client, d->data, d->data.size());
    }
  }
  timers.schedule(index * 2 + dir, pipe.deadline());
}

void Relay::Impl::on_timer(std::uint64_t key, Timestamp now) {
  if (key == kHousekeepingKey) {
    housekeeping(now);
    timers.schedule(kHousekeepingKey, now + kHousekeeping);
  } else if (key == kBlackholeKey) {
    log_blackhole(now);
    timers.schedule(kBlackholeKey, blackhole.next_change(now));
  } else {
    flush(static_cast<std::size_t>(key / 2), static_cast<Direction>(key % 2), now);
  }
}

void Relay::Impl::housekeeping(Timestamp now) {
  for (auto& link : links) {
    for (std::uint64_t id : link->flows.expire(now)) {
      if (auto it = link->by_flow.find(id); it != link->by_flow.end()) {
        it->second.upstream->close();
        // Destroyed on a later turn: a readiness callback of this socket may be queued.
        loop.post([socket = std::shared_ptr<net::UdpSocket>(std::move(it->second.upstream))] {});
        link->by_flow.erase(it);
      }
    }
  }
}

void Relay::Impl::log_blackhole(Timestamp now) {
  const bool active = blackhole.active(now);
  if (active == blackhole_logged) {
    return;
  }
  blackhole_logged = active;
  if (active) {
    logger().warn("relay=impair: ⛔ blackhole on (every link drops everything)");
  } else {
    logger().warn("relay=impair: ✅ blackhole off");
  }
}

void Relay::Impl::print_stats() const {
  for (const auto& link : links) {
    for (const auto& [dir, pipe] :
         {std::pair{"to_target", &link->to_target}, std::pair{"to_client", &link->to_client}}) {
      const impair::PipeStats& s = pipe->stats();
      std::printf(
          "impair link=%s dir=%s received=%llu delivered=%llu lost=%llu blackholed=%llu "
          "queue_drops=%llu duplicated=%llu reordered=%llu flows=%llu unresolved_drops=%llu\n",
          link->spec.name.c_str(),
          dir,
          static_cast<unsigned long long>(s.received),
          static_cast<unsigned long long>(s.delivered),
          static_cast<unsigned long long>(s.lost),
          static_cast<unsigned long long>(s.blackholed),
          static_cast<unsigned long long>(s.queue_drops),
          static_cast<unsigned long long>(s.duplicated),
          static_cast<unsigned long long>(s.reordered),
          static_cast<unsigned long long>(link->flows_opened),
          static_cast<unsigned long long>(link->unresolved_drops));
    }
  }
  std::fflush(stdout);
}

Result<std::unique_ptr<Relay>> Relay::open(net::Loop& loop, const RelayConfig& config) {
  CONNSWAP_TRY(impair::validate(config.profile));
  if (config.links.empty()) {
    return make_error(Errc::kInvalidArgument, "at least one --link is required");
  }
  auto impl = std::make_unique<Impl>(loop, config);
  CONNSWAP_TRY(impl->bind());
  return std::unique_ptr<Relay>(new Relay(std::move(impl)));
}

Relay::Relay(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Relay::~Relay() {
  asio::error_code ec;
  impl_->usr1.cancel(ec);
}

int Relay::run() {
  Impl& r = *impl_;
  ReadyFields fields;
  for (const auto& link : r.links) {
    fields.emplace_back(link->spec.name, link->listen->local().to_string());
  }
  fields.emplace_back("pid", std::to_string(::getpid()));
  if (!r.config.ready_file.empty()) {
    if (auto ok = write_ready_file(r.config.ready_file, fields); !ok) {
      logger().error("ready_file={}: {}", r.config.ready_file, ok.error().detail);
      return 1;
    }
  }
  for (const auto& [name, addr] : fields) {
    logger().info("link={} listen={}: 🚦 relay ready", name, addr);
  }
  r.start();
  r.loop.on_stop_signal([&r](int) { r.loop.stop(); });
  r.loop.run();
  r.print_stats();
  return 0;
}

}  // namespace connswap::app
