// Lua 5.4 (Debian source lua5.4): the interpreter runs lua_bench.lua (tables, strings,
// closures, recursion, sorting). Built with errors as aborts (no setjmp in wasm32-wasi without
// exception handling); the script raises none, so both builds run the interpreter's normal path.
#include <stdio.h>
#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"
#include "lua_bench.h"  // the script as `static const char lua_bench[]`, made by run.sh

int main(void) {
  lua_State* L = luaL_newstate();
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  lua_settop(L, 0);
  if (luaL_loadbuffer(L, lua_bench, sizeof lua_bench - 1, "lua_bench") != LUA_OK ||
      lua_pcall(L, 0, 0, 0) != LUA_OK) {
    fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
    return 1;
  }
  lua_close(L);
  return 0;
}
