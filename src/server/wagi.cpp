#include "server/wagi.h"

#include <cctype>

namespace atl::server {
namespace {

std::string upper_env_name(std::string_view header) {
  std::string s = "HTTP_";
  for (char c : header) s += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view header(const CgiRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += plus_is_space && s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

std::vector<std::string> cgi_environment(const CgiRequest& r, const CgiRoute& route) {
  const size_t q = r.target.find('?');
  const std::string raw_path = r.target.substr(0, q);
  const std::string query = q == std::string::npos ? "" : r.target.substr(q + 1);
  // PATH_INFO: what follows the route's fixed part (WAGI: the whole path for exact routes).
  std::string path_info = raw_path;
  if (!route.prefix.empty() && raw_path.compare(0, route.prefix.size(), route.prefix) == 0) {
    path_info = raw_path.substr(route.prefix.size());
  }
  const std::string host = std::string(header(r, "Host"));
  // Built in place (an initializer list would copy every string once more).
  std::vector<std::string> env;
  env.reserve(19 + r.headers.size());
  env.push_back("AUTH_TYPE=");
  env.push_back("CONTENT_LENGTH=" + std::to_string(r.content_length));
  env.push_back("CONTENT_TYPE=" + std::string(header(r, "Content-Type")));
  env.push_back("GATEWAY_INTERFACE=CGI/1.1");
  env.push_back("PATH_INFO=" + percent_decode(path_info));
  env.push_back("PATH_TRANSLATED=" + percent_decode(path_info));
  env.push_back("QUERY_STRING=" + query);
  env.push_back("REMOTE_ADDR=" + r.remote_addr);
  env.push_back("REMOTE_HOST=" + r.remote_addr);
  env.push_back("REMOTE_USER=");
  env.push_back("REQUEST_METHOD=" + r.method);
  env.push_back("SCRIPT_NAME=" + route.script_name);
  env.push_back("SERVER_NAME=" + r.server_name);
  env.push_back("SERVER_PORT=" + std::to_string(r.server_port));
  env.push_back("SERVER_PROTOCOL=" + r.protocol);
  env.push_back("SERVER_SOFTWARE=atoll");
  env.push_back("X_FULL_URL=http://" + (host.empty() ? r.server_name + ":" + std::to_string(r.server_port) : host) + r.target);
  env.push_back("X_MATCHED_ROUTE=" + route.matched_route);
  env.push_back("X_RAW_PATH_INFO=" + path_info);
  for (const auto& [k, v] : r.headers) {
    if (iequals(k, "Authorization") || iequals(k, "Proxy-Authorization")) continue;
    if (iequals(k, "Content-Type") || iequals(k, "Content-Length")) continue;  // CONTENT_* above
    bool clean = !k.empty();
    for (char c : k) clean &= std::isalnum(static_cast<unsigned char>(c)) || c == '-';
    if (clean) env.push_back(upper_env_name(k) + "=" + v);
  }
  return env;
}

std::vector<std::string> cgi_arguments(const CgiRequest& r) {
  const size_t q = r.target.find('?');
  std::vector<std::string> args = {percent_decode(r.target.substr(0, q))};
  if (q == std::string::npos) return args;
  std::string_view query(r.target);
  query.remove_prefix(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    if (!part.empty()) args.push_back(percent_decode(part, true));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return args;
}

std::optional<CgiResponse> parse_cgi_response(std::string_view out, std::string* why) {
  CgiResponse resp;
  bool content_type = false, location = false, status = false;
  size_t pos = 0;
  for (;;) {
    const size_t nl = out.find('\n', pos);
    if (nl == std::string_view::npos) {
      *why = out.empty() ? "the handler printed nothing" : "the handler's header block has no blank line after it";
      return std::nullopt;
    }
    std::string_view line = out.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl + 1;
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      *why = "the handler printed a header line without a name: '" + std::string(line.substr(0, 80)) + "'";
      return std::nullopt;
    }
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    for (char c : name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
        *why = "the handler printed an invalid header name '" + std::string(name.substr(0, 80)) + "'";
        return std::nullopt;
      }
    }
    for (char c : value) {
      if (c == '\0' || c == '\r') {
        *why = "the handler printed a control character in header " + std::string(name);
        return std::nullopt;
      }
    }
    if (iequals(name, "Status")) {
      unsigned code = 0;
      size_t i = 0;
      while (i < value.size() && i < 3 && std::isdigit(static_cast<unsigned char>(value[i]))) code = code * 10 + (value[i++] - '0');
      if (i != 3 || code < 100 || code > 599 || (i < value.size() && value[i] != ' ')) {
        *why = "the handler printed an invalid Status: '" + std::string(value.substr(0, 40)) + "'";
        return std::nullopt;
      }
      resp.status = code;
      status = true;
      continue;
    }
    if (iequals(name, "Content-Type")) content_type = true;
    if (iequals(name, "Location")) location = true;
    resp.headers.emplace_back(std::string(name), std::string(value));
  }
  if (!content_type && !location && !status) {
    *why = "the handler's header block has no Content-Type, Location or Status";
    return std::nullopt;
  }
  if (location && !status) resp.status = 302;
  resp.body.assign(out.substr(pos));
  return resp;
}

}  // namespace atl::server
