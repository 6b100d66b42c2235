#include "net/udp_socket.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <asio.hpp>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"

namespace connswap::net {
namespace {

// UDP_MAX_SEGMENTS is 64 on older kernels; a GSO send must also fit one IP datagram.
constexpr std::size_t kMaxGsoSegments = 64;
constexpr std::size_t kMaxGsoBytes = 65'000;

spdlog::logger& logger() {
  return log::get("net");
}

Error errno_error(Errc code, const std::string& what, int err) {
  return Error{code, what + ": " + std::strerror(err)};
}

void set_buffer(int fd, int force_opt, int opt, int bytes) {
  // *BUFFORCE ignores net.core.[rw]mem_max but needs CAP_NET_ADMIN; fall back to the cap.
  if (::setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) != 0) {
    (void)::setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
  }
}

bool is_gso_unsupported(int err) {
  return err == EIO || err == EINVAL || err == ENOTSUP || err == EOPNOTSUPP;
}

// What a failed send(2)/sendmsg(2) means to the caller.
enum class SendFailure : std::uint8_t {
  kRetry,       // EINTR: call again
  kWouldBlock,  // the socket buffer is full: nothing was sent
  kRefused,     // an ICMP port unreachable came back: the peer is gone
  kLoss,        // anything else: the datagrams count as lost (QUIC retransmits)
};

SendFailure classify_send_error(int err) {
  if (err == EINTR) {
    return SendFailure::kRetry;
  }
  if (err == EAGAIN || err == EWOULDBLOCK) {
    return SendFailure::kWouldBlock;
  }
  return err == ECONNREFUSED ? SendFailure::kRefused : SendFailure::kLoss;
}

// The send's result for kWouldBlock (nothing sent: 0) and kRefused (kPeerGone).
Result<std::size_t> send_failed(SendFailure failure, int err, const Address& remote) {
  if (failure == SendFailure::kWouldBlock) {
    return std::size_t{0};
  }
  return Unexpected(errno_error(Errc::kPeerGone, "send to " + remote.to_string(), err));
}

}  // namespace

struct UdpSocket::Impl {
  Impl(asio::io_context& io, int fd) : descriptor(io, fd) {}
  asio::posix::stream_descriptor descriptor;  // owns the fd; used for readiness waits only
};

UdpSocket::UdpSocket(Loop& loop, int fd)
    : loop_(loop), impl_(std::make_unique<Impl>(loop.context(), fd)), fd_(fd) {}

UdpSocket::~UdpSocket() {
  close();
}

Result<std::unique_ptr<UdpSocket>> UdpSocket::open(Loop& loop,
                                                   const Address& local,
                                                   const SocketOptions& options) {
  if (local.empty()) {
    return make_error(Errc::kInvalidArgument, "udp: no local address");
  }
  int fd = ::socket(local.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Unexpected(errno_error(Errc::kIo, "socket", errno));
  }
  set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, options.buffer_bytes);
  set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, options.buffer_bytes);
  if (::bind(fd, local.sa(), local.len) != 0) {
    int err = errno;
    ::close(fd);
    return Unexpected(errno_error(Errc::kIo, "bind " + local.to_string(), err));
  }
  std::unique_ptr<UdpSocket> sock(new UdpSocket(loop, fd));
  sock->local_.len = sizeof(sock->local_.storage);
  if (::getsockname(fd, sock->local_.sa(), &sock->local_.len) != 0) {
    return Unexpected(errno_error(Errc::kIo, "getsockname", errno));
  }
  if (options.gso) {
    int size = 0;
    socklen_t len = sizeof(size);
    sock->gso_ = ::getsockopt(fd, SOL_UDP, UDP_SEGMENT, &size, &len) == 0;
  }
  if (options.gro) {
    int on = 1;
    sock->gro_ = ::setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on)) == 0;
  }
  logger().debug(
      "udp bound local={} gso={} gro={}", sock->local_.to_string(), sock->gso_, sock->gro_);
  return sock;
}

Result<void> UdpSocket::connect(const Address& remote) {
  if (::connect(fd_, remote.sa(), remote.len) != 0) {
    return Unexpected(errno_error(Errc::kIo, "connect " + remote.to_string(), errno));
  }
  remote_ = remote;
  local_.len = sizeof(local_.storage);
  if (::getsockname(fd_, local_.sa(), &local_.len) != 0) {
    return Unexpected(errno_error(Errc::kIo, "getsockname", errno));
  }
  return {};
}

Result<std::optional<Received>> UdpSocket::recv(MutableByteSpan buf) {
  while (fd_ >= 0) {
    Received out;
    iovec iov{buf.data(), buf.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_name = out.from.sa();
    msg.msg_namelen = sizeof(out.from.storage);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = ::recvmsg(fd_, &msg, 0);
    ++stats_.recvmsg_calls;
    if (n < 0) {
      int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) {
        return std::optional<Received>();
      }
      if (err == EINTR) {
        continue;
      }
      if (err == ECONNREFUSED) {
        return Unexpected(errno_error(Errc::kPeerGone, "recv from " + remote_.to_string(), err));
      }
      return Unexpected(errno_error(Errc::kIo, "recvmsg", err));
    }
    if (msg.msg_flags & MSG_TRUNC) {
      logger().debug("udp dropped truncated datagram ({} bytes buffer)", buf.size());
      continue;
    }
    out.from.len = msg.msg_namelen;
    out.bytes = static_cast<std::size_t>(n);
    out.segment_size = out.bytes;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int seg = 0;
        std::memcpy(&seg, CMSG_DATA(c), sizeof(seg));
        if (seg > 0) {
          out.segment_size = static_cast<std::size_t>(seg);
        }
      }
    }
    stats_.datagrams_received += (out.bytes + out.segment_size - 1) / out.segment_size;
    return std::optional<Received>(out);
  }
  return make_error(Errc::kClosed, "udp socket closed");
}

Result<void> UdpSocket::send(const Address& to, ByteSpan data, std::size_t segment_size) {
  if (fd_ < 0) {
    return make_error(Errc::kClosed, "udp socket closed");
  }
  if (refused_) {
    refused_ = false;
    return make_error(Errc::kPeerGone, "send to " + remote_.to_string() + ": refused");
  }
  if (data.empty()) {
    return {};
  }
  segment_size = segment_size == 0 ? data.size() : segment_size;
  std::size_t done = 0;
  if (pending_.empty()) {
    auto sent = send_now(to, data, segment_size);
    if (!sent) {
      return Unexpected(std::move(sent).error());
    }
    done = *sent;
  }
  if (done < data.size()) {
    // Keep order: once anything is queued, everything after it queues too.
    auto rest = data.subspan(done);
    pending_.push_back(Pending{to, Bytes(rest.begin(), rest.end()), segment_size});
    ++stats_.send_blocked;
    wait_writable();
  }
  return {};
}

Result<std::size_t> UdpSocket::send_now(const Address& to,
                                        ByteSpan data,
                                        std::size_t segment_size) {
  std::size_t done = 0;
  while (done < data.size()) {
    auto rest = data.subspan(done);
    Result<std::size_t> r = (gso_ && rest.size() > segment_size)
                                ? send_gso(to, rest, segment_size)
                                : send_one(to, rest.first(std::min(rest.size(), segment_size)));
    if (!r) {
      return r;
    }
    if (*r == 0) {
      break;  // EAGAIN
    }
    done += *r;
  }
  return done;
}

Result<std::size_t> UdpSocket::send_gso(const Address& to,
                                        ByteSpan data,
                                        std::size_t segment_size) {
  std::size_t count = std::min({kMaxGsoSegments,
                                kMaxGsoBytes / segment_size,
                                (data.size() + segment_size - 1) / segment_size});
  std::size_t len = std::min(data.size(), std::max<std::size_t>(count, 1) * segment_size);
  iovec iov{const_cast<std::uint8_t*>(data.data()), len};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(std::uint16_t))] = {};
  msghdr msg{};
  if (remote_.empty()) {
    msg.msg_name = const_cast<sockaddr*>(to.sa());
    msg.msg_namelen = to.len;
  }
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
  auto seg16 = static_cast<std::uint16_t>(segment_size);
  std::memcpy(CMSG_DATA(c), &seg16, sizeof(seg16));
  ++stats_.sendmsg_calls;
  while (true) {
    if (::sendmsg(fd_, &msg, 0) >= 0) {
      stats_.datagrams_sent += (len + segment_size - 1) / segment_size;
      return len;
    }
    const int err = errno;
    const SendFailure failure = classify_send_error(err);
    if (failure == SendFailure::kRetry) {
      continue;
    }
    if (failure != SendFailure::kLoss) {
      return send_failed(failure, err, remote_);
    }
    if (is_gso_unsupported(err)) {
      logger().warn("udp GSO send failed ({}); falling back to one datagram per sendmsg",
                    std::strerror(err));
      gso_ = false;
      return send_one(to, data.first(std::min(data.size(), segment_size)));
    }
    logger().debug("udp GSO send dropped {} bytes: {}", len, std::strerror(err));
    return len;  // treated as loss
  }
}

Result<std::size_t> UdpSocket::send_one(const Address& to, ByteSpan data) {
  ++stats_.sendmsg_calls;
  while (true) {
    ssize_t n = remote_.empty() ? ::sendto(fd_, data.data(), data.size(), 0, to.sa(), to.len)
                                : ::send(fd_, data.data(), data.size(), 0);
    if (n >= 0) {
      ++stats_.datagrams_sent;
      return data.size();
    }
    const int err = errno;
    const SendFailure failure = classify_send_error(err);
    if (failure == SendFailure::kRetry) {
      continue;
    }
    if (failure != SendFailure::kLoss) {
      return send_failed(failure, err, remote_);
    }
    logger().debug(
        "udp send dropped {} bytes to {}: {}", data.size(), to.to_string(), std::strerror(err));
    return data.size();  // treated as loss
  }
}

bool UdpSocket::has_unread() const {
  int bytes = 0;
  return fd_ >= 0 && ::ioctl(fd_, FIONREAD, &bytes) == 0 && bytes > 0;
}

void UdpSocket::wait_readable(std::function<void()> callback) {
  if (fd_ < 0) {
    return;
  }
  impl_->descriptor.async_wait(
      asio::posix::descriptor_base::wait_read,
      [alive = alive_.weak(), cb = std::move(callback)](const asio::error_code& ec) {
        if (alive.expired() || ec == asio::error::operation_aborted) {
          return;
        }
        cb();
      });
}

void UdpSocket::wait_writable() {
  if (write_wait_armed_ || fd_ < 0) {
    return;
  }
  write_wait_armed_ = true;
  impl_->descriptor.async_wait(asio::posix::descriptor_base::wait_write,
                               [this, alive = alive_.weak()](const asio::error_code& ec) {
                                 if (alive.expired() || ec == asio::error::operation_aborted) {
                                   return;
                                 }
                                 write_wait_armed_ = false;
                                 on_writable_ready();
                               });
}

void UdpSocket::on_writable_ready() {
  loop_.refresh_now();
  while (!pending_.empty()) {
    Pending& p = pending_.front();
    auto sent = send_now(p.to, p.data, p.segment_size);
    if (!sent) {
      // A refused connected socket: drop the queue; the next send/recv reports it.
      logger().debug("udp queued send failed: {}", sent.error().message());
      refused_ = sent.error().code == Errc::kPeerGone;
      pending_.clear();
      break;
    }
    if (*sent < p.data.size()) {
      p.data.erase(p.data.begin(), p.data.begin() + static_cast<std::ptrdiff_t>(*sent));
      wait_writable();
      return;
    }
    pending_.pop_front();
  }
  if (on_writable_) {
    on_writable_();
  }
}

void UdpSocket::close() {
  if (fd_ < 0) {
    return;
  }
  asio::error_code ec;
  impl_->descriptor.close(ec);  // cancels waits: their handlers see operation_aborted
  fd_ = -1;
  pending_.clear();
}

}  // namespace connswap::net
