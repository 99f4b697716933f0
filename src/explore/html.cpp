// The explorer page. Everything is inline (style, script), so the file can be mailed or opened
// offline. Each instruction line carries the wasm offsets it stands for in data-o (a native line:
// its frames, innermost first); the script indexes them once and highlights on hover.
#include <cstdio>

#include "explore/explore.h"

namespace atl::explore {
namespace {

std::string escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
  return b;
}

// A stable hue per wasm offset, so the code of one instruction has the same colour on both sides.
unsigned hue(uint64_t offset) { return static_cast<unsigned>((offset * 2654435761u) % 360); }

std::string function_title(const FunctionView& f) {
  return "func " + std::to_string(f.index) + (f.name.empty() ? "" : " $" + f.name);
}

constexpr const char* kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:0 1.5em 2em;color:#1d2330;background:#fafafa}
h1{font-size:1.4em;margin:.8em 0 .2em}h2{font-size:1.1em;margin:1.6em 0 .4em}
.settings{color:#555;margin:0 0 1em}
ol.index{list-style:none;padding:0;margin:0;columns:20em;column-gap:2em;font-size:13px}ol.index .meta{margin-left:.5em}
.sig{color:#666;font-weight:normal}.meta{color:#888;font-weight:normal;font-size:.85em;margin-left:1em}
.cols{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,3fr);gap:12px}
.col{max-height:75vh;overflow:auto;background:#fff;border:1px solid #ddd;font:12.5px/1.45 ui-monospace,monospace;white-space:pre}
.col h3{position:sticky;top:0;margin:0;padding:2px 8px;background:#eef1f6;font:bold 12px system-ui,sans-serif;border-bottom:1px solid #ddd}
.ln{padding:0 8px 0 6px;border-left:4px solid hsl(var(--h),65%,62%);cursor:default}
.ln.nf{border-left-color:transparent;color:#999}.ln.nc{color:#999}
.ln.inl .t{font-style:italic}
.a{color:#8a8f99;margin-right:1.2em;display:inline-block;min-width:5ch;text-align:right}.b{color:#b0b4bc;display:inline-block;width:16ch;overflow:hidden;vertical-align:bottom;margin-right:1em}
.src{padding:3px 8px 0;color:#2e6b30;font-style:italic}
.ln.hl{background:#ffe082}.ln.hl0{background:#ffb74d}
)";

constexpr const char* kScript = R"(
(function(){
var wasmAt=new Map(),nativeAny=new Map(),nativeInner=new Map(),lit=[];
function add(m,k,e){var l=m.get(k);if(!l)m.set(k,l=[]);l.push(e);}
document.querySelectorAll('.wasm .ln').forEach(function(e){add(wasmAt,e.dataset.o,e);});
document.querySelectorAll('.x86 .ln[data-o]').forEach(function(e){
  var os=e.dataset.o.split(' ');os.forEach(function(o){add(nativeAny,o,e);});add(nativeInner,os[0],e);});
function counterparts(e){
  var os=e.dataset.o.split(' ');
  if(e.closest('.wasm'))return nativeAny.get(os[0])||[];
  var r=[];os.forEach(function(o){(wasmAt.get(o)||[]).forEach(function(w){r.push(w);});});
  return r.concat((nativeInner.get(os[0])||[]).filter(function(x){return x!==e;}));}
function clear(){lit.forEach(function(e){e.classList.remove('hl','hl0');});lit=[];}
function light(e){clear();e.classList.add('hl0');lit.push(e);
  counterparts(e).forEach(function(c){c.classList.add('hl');lit.push(c);});}
document.addEventListener('mouseover',function(ev){var e=ev.target.closest('.ln[data-o]');if(e)light(e);else clear();});
document.addEventListener('click',function(ev){var e=ev.target.closest('.ln[data-o]');if(!e)return;
  var col=e.closest('.col'),c=counterparts(e).filter(function(x){return x.closest('.col')!==col;});
  if(c.length)c[0].scrollIntoView({block:'center'});});
})();
)";

void render_function(const FunctionView& f, std::string& out) {
  out += "<section class=\"fn\" id=\"f" + std::to_string(f.index) + "\"><h2>" + escape(function_title(f)) +
         " <span class=\"sig\">" + escape(f.signature) + "</span><span class=\"meta\">" +
         std::to_string(f.wasm.size()) + " wasm instructions, " + std::to_string(f.native.size()) +
         " x86-64 instructions, " + std::to_string(f.code_size) + " bytes</span></h2>\n<div class=\"cols\">";

  out += "<div class=\"col wasm\"><h3>WebAssembly (offset in the module)</h3>";
  for (const WasmLine& w : f.wasm) {
    if (!w.source.empty()) out += "<div class=\"src\">" + escape(w.source) + "</div>";
    const std::string o = hex(w.instr.offset);
    out += "<div class=\"ln" + std::string(w.has_code ? "" : " nc") + "\" data-o=\"" + o + "\" style=\"--h:" +
           std::to_string(hue(w.instr.offset)) + "\"><span class=\"a\">" + o + "</span><span class=\"t\">" +
           std::string(2 * w.instr.depth, ' ') + escape(w.instr.text) + "</span></div>";
  }
  out += "</div>\n<div class=\"col x86\"><h3>x86-64 (address in the module's code)</h3>";
  for (const NativeLine& n : f.native) {
    std::string cls = "ln", attrs;
    if (n.frames.empty() || n.frames[0].wasm_offset == 0) {
      cls += " nf";
    } else {
      std::string offsets;
      for (const auto& fr : n.frames) offsets += (offsets.empty() ? "" : " ") + hex(fr.wasm_offset);
      attrs = " data-o=\"" + offsets + "\" style=\"--h:" + std::to_string(hue(n.frames[0].wasm_offset)) + "\"";
      if (n.frames[0].func_index != f.index) {
        cls += " inl";
        attrs += " title=\"inlined from func " + std::to_string(n.frames[0].func_index) + " at 0x" +
                 hex(n.frames[0].wasm_offset) + "\"";
      }
    }
    out += "<div class=\"" + cls + "\"" + attrs + "><span class=\"a\">" + hex(n.address) + "</span><span class=\"b\">" +
           n.bytes + "</span><span class=\"t\">" + escape(n.text) + "</span></div>";
  }
  out += "</div></div></section>\n";
}

}  // namespace

std::string render_html(const Exploration& e) {
  const std::string title = "atoll explore" + (e.module_name.empty() ? "" : ": " + e.module_name);
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title) +
                    "</title><style>" + kStyle + "</style></head><body>\n<h1>" + escape(title) +
                    "</h1><p class=\"settings\">" + escape(e.settings) +
                    ". Hover an instruction to see its counterparts; click to scroll to them. Italic x86-64 "
                    "lines are code LLVM inlined from another function.</p>\n";
  if (e.functions.empty()) {
    out += "<p>The module defines no functions.</p>";
  } else {
    out += "<ol class=\"index\">";
    for (const FunctionView& f : e.functions) {
      out += "<li><a href=\"#f" + std::to_string(f.index) + "\">" + escape(function_title(f)) + "</a> <span class=\"meta\">" +
             std::to_string(f.wasm.size()) + " / " + std::to_string(f.native.size()) + " / " + std::to_string(f.code_size) +
             " B</span></li>";
    }
    out += "</ol><p class=\"settings\">Per function: wasm instructions / x86-64 instructions / bytes of code.</p>\n";
  }
  for (const FunctionView& f : e.functions) render_function(f, out);
  out += "<script>";
  out += kScript;
  out += "</script></body></html>\n";
  return out;
}

}  // namespace atl::explore
