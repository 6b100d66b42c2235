#include "common/ready_file.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace connswap::app {

std::string format_ready(const ReadyFields& fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    out.append(key).append("=").append(value).append("\n");
  }
  return out;
}

Result<ReadyFields> parse_ready(const std::string& text) {
  ReadyFields fields;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) {
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos || eq == 0) {
      return make_error(Errc::kInvalidArgument, "bad ready-file line '" + line + "'");
    }
    fields.emplace_back(line.substr(0, eq), line.substr(eq + 1));
  }
  return fields;
}

Result<void> write_ready_file(const std::string& path, const ReadyFields& fields) {
  // Same directory as the target, so rename() is atomic; the pid keeps writers apart.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << format_ready(fields);
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      return make_error(Errc::kIo, "cannot write ready-file " + tmp);
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return make_error(Errc::kIo, "cannot rename " + tmp + " to " + path + ": " + ec.message());
  }
  return {};
}

}  // namespace connswap::app
