// The TOML configuration of atoll serve: every setting read, strict about typos, types and
// ranges, errors naming the file, line and key.
#include "server/config.h"

#include <gtest/gtest.h>

namespace atl::server {
namespace {

Result<ServerConfig> parse(const std::string& text) { return parse_config(text, "t.toml", "/etc/app"); }

std::string error_of(const std::string& text) {
  auto c = parse(text);
  return c.ok() ? "(parsed)" : c.error().message;
}

TEST(ServeConfig, ReadsEverySetting) {
  auto c = parse(R"(
addr = "0.0.0.0:80"
admin_addr = "127.0.0.1:9000"
workers = 3
max_instances = 500
max_connections = 100
header_limit = 4096
header_timeout_ms = 1500
idle_timeout_ms = 2500
drain_timeout_ms = 100
drain_delay_ms = 250
watch = true
time_slice_ms = 5
log_requests = false
prewarm = true

[[route]]
path = "/api/..."
module = "api.wasm"
dirs = ["static::/www", "/abs"]
env = { A = "1", B = "two words" }
scratch = true
max_memory_mib = 32
deadline_ms = 250
fuel = 1000000
max_request_body = 10
max_response = 20
max_concurrency = 7

[[route]]
path = "/"
module = "/srv/root.wasm"
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->addr, "0.0.0.0:80");
  EXPECT_EQ(c->admin_addr, "127.0.0.1:9000");
  EXPECT_EQ(c->workers, 3u);
  EXPECT_EQ(c->max_instances, 500u);
  EXPECT_EQ(c->max_connections, 100u);
  EXPECT_EQ(c->header_limit, 4096u);
  EXPECT_EQ(c->header_timeout_ms, 1500u);
  EXPECT_EQ(c->idle_timeout_ms, 2500u);
  EXPECT_EQ(c->drain_timeout_ms, 100u);
  EXPECT_EQ(c->drain_delay_ms, 250u);
  EXPECT_TRUE(c->watch);
  EXPECT_EQ(c->time_slice_ms, 5u);
  EXPECT_FALSE(c->log_requests);
  EXPECT_TRUE(c->prewarm);
  ASSERT_EQ(c->routes.size(), 2u);
  const RouteConfig& r = c->routes[0];
  EXPECT_EQ(r.path, "/api/...");
  EXPECT_EQ(r.module, "/etc/app/api.wasm");  // relative to the config's directory
  ASSERT_EQ(r.dirs.size(), 2u);
  EXPECT_EQ(r.dirs[0].host_path, "/etc/app/static");
  EXPECT_EQ(r.dirs[0].guest_path, "/www");
  EXPECT_EQ(r.dirs[1].host_path, "/abs");
  EXPECT_EQ(r.dirs[1].guest_path, "/abs");
  EXPECT_EQ(r.env, (std::vector<std::string>{"A=1", "B=two words"}));
  EXPECT_TRUE(r.scratch);
  EXPECT_EQ(r.max_memory_bytes, 32u << 20);
  EXPECT_EQ(r.deadline_ms, 250u);
  EXPECT_EQ(r.fuel, 1000000u);
  EXPECT_EQ(r.max_request_body, 10u);
  EXPECT_EQ(r.max_response, 20u);
  EXPECT_EQ(r.max_concurrency, 7u);
  EXPECT_EQ(c->routes[1].module, "/srv/root.wasm");
}

TEST(ServeConfig, DefaultsAreTheFlagDefaults) {
  auto c = parse("[[route]]\npath = \"/...\"\nmodule = \"a.wasm\"\n");
  ASSERT_TRUE(c.ok());
  const ServerConfig d;
  const RouteConfig rd;
  EXPECT_EQ(c->addr, d.addr);
  EXPECT_EQ(c->max_instances, d.max_instances);
  EXPECT_EQ(c->routes[0].deadline_ms, rd.deadline_ms);
  EXPECT_EQ(c->routes[0].max_memory_bytes, rd.max_memory_bytes);
  EXPECT_EQ(c->routes[0].max_request_body, rd.max_request_body);
}

TEST(ServeConfig, ErrorsNameTheFileLineAndKey) {
  const std::string route = "[[route]]\npath = \"/x\"\nmodule = \"a.wasm\"\n";
  EXPECT_EQ(error_of(route + "deadline = 5\n"), "t.toml:4:12: unknown setting route[0].deadline");
  EXPECT_EQ(error_of("worker = 2\n" + route), "t.toml:1:10: unknown setting worker");
  EXPECT_EQ(error_of(route + "deadline_ms = \"5\"\n"), "t.toml:4:15: route[0].deadline_ms must be an integer");
  EXPECT_EQ(error_of(route + "deadline_ms = 0\n"), "t.toml:4:15: route[0].deadline_ms must be between 1 and 3600000");
  EXPECT_EQ(error_of(route + "max_memory_mib = -1\n"), "t.toml:4:18: route[0].max_memory_mib must be between 1 and 4096");
  EXPECT_EQ(error_of(route + "scratch = 1\n"), "t.toml:4:11: route[0].scratch must be true or false");
  EXPECT_EQ(error_of(route + "dirs = \"/x\"\n"), "t.toml:4:8: dirs must be an array of \"HOST[::GUEST]\" strings");
  EXPECT_EQ(error_of(route + "env = { A = 1 }\n"), "t.toml:4:13: env.A must be a string");
  EXPECT_EQ(error_of("workers = 2\n"), "t.toml: no routes: add [[route]] tables with path and module");
  EXPECT_EQ(error_of("[[route]]\nmodule = \"a.wasm\"\n"), "t.toml:1:1: every [[route]] needs path = \"/...\"");
  EXPECT_EQ(error_of("[[route]]\npath = \"x\"\nmodule = \"a.wasm\"\n"), "t.toml:2:8: route path 'x' must start with /");
  EXPECT_EQ(error_of("[[route]]\npath = \"/x\"\n"), "t.toml:1:1: route /x needs module = \"file.wasm\"");
  EXPECT_EQ(error_of(route + route).substr(0, 8), "t.toml:4");  // the second [[route]]
  EXPECT_NE(error_of(route + route).find("two routes for /x"), std::string::npos);
  EXPECT_EQ(error_of("addr = \n").substr(0, 9), "t.toml:1:");  // a syntax error
  EXPECT_EQ(error_of("route = 3\n"), "t.toml:1:9: route must be an array of tables: [[route]]");
}

// toml++ 3.3 has undefined behaviour for some non-ASCII characters outside strings (see
// parse_toml): they are refused before it sees them; inside strings and comments they work.
TEST(ServeConfig, NonAsciiOnlyInStringsAndComments) {
  const std::string route = "[[route]]\npath = \"/x\"\nmodule = \"caf\u00e9.wasm\"\n";
  auto ok = parse(route + "env = { A = \"\u00e9\u3001\ufefe\" }  # \u00e9 \ufefe\n");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->routes[0].module, "/etc/app/caf\u00e9.wasm");
  EXPECT_EQ(ok->routes[0].env[0], "A=\u00e9\u3001\ufefe");
  EXPECT_NE(error_of(route + "env = { A = 1\ufefe }\n").find("t.toml:4:14: "), std::string::npos);
  EXPECT_NE(error_of(route + "\u00e9 = 1\n").find("t.toml:4:1: "), std::string::npos);
  EXPECT_EQ(error_of(route + "x = \"\"\"\\\n  \u00e9\"\"\"\n"),
            "t.toml:5: a non-ASCII character right after a line-ending backslash (not supported in atoll's config)");
}

TEST(ServeConfig, ReloadChangesOnlyRoutes) {
  auto base = parse("[[route]]\npath = \"/x\"\nmodule = \"a.wasm\"\n");
  ASSERT_TRUE(base.ok());
  ServerConfig next = *base;
  next.routes[0].path = "/y";
  next.routes[0].deadline_ms = 1;
  EXPECT_EQ(reload_incompatibility(*base, next), "");
  next.workers = 9;
  EXPECT_EQ(reload_incompatibility(*base, next), "workers");
  next = *base;
  next.header_timeout_ms++;
  EXPECT_EQ(reload_incompatibility(*base, next), "header_timeout_ms");
  next = *base;
  next.drain_delay_ms = 5;
  EXPECT_EQ(reload_incompatibility(*base, next), "drain_delay_ms");
  next = *base;
  next.watch = true;
  EXPECT_EQ(reload_incompatibility(*base, next), "watch");
  next = *base;
  next.routes[0].fuel = 10;  // metering is compiled in or not
  EXPECT_NE(reload_incompatibility(*base, next).find("fuel"), std::string::npos);
  EXPECT_EQ(reload_incompatibility(next, *base), "");  // dropping fuel is fine
}

}  // namespace
}  // namespace atl::server
