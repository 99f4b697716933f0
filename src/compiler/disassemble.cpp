#include "compiler/disassemble.h"

#include <llvm/MC/MCAsmInfo.h>
#include <llvm/MC/MCContext.h>
#include <llvm/MC/MCDisassembler/MCDisassembler.h>
#include <llvm/MC/MCInst.h>
#include <llvm/MC/MCInstPrinter.h>
#include <llvm/MC/MCInstrInfo.h>
#include <llvm/MC/MCRegisterInfo.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/MCTargetOptions.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Triple.h>

#include <memory>
#include <mutex>

namespace atl::compiler {

Result<void> disassemble(std::span<const uint8_t> code, uint64_t address,
                         const std::function<void(uint64_t, uint32_t, const std::string&)>& emit) {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86Disassembler();
  });
  const llvm::Triple triple("x86_64-unknown-linux-gnu");
  std::string err;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple.str(), err);
  if (!target) return make_error(ErrorKind::Other, "no x86-64 disassembler: " + err);
  std::unique_ptr<llvm::MCRegisterInfo> regs(target->createMCRegInfo(triple.str()));
  llvm::MCTargetOptions options;
  std::unique_ptr<llvm::MCAsmInfo> asm_info(regs ? target->createMCAsmInfo(*regs, triple.str(), options) : nullptr);
  // The newest level, so whatever the code was compiled for (up to AVX-512) decodes.
  std::unique_ptr<llvm::MCSubtargetInfo> sti(target->createMCSubtargetInfo(triple.str(), "x86-64-v4", ""));
  std::unique_ptr<llvm::MCInstrInfo> instrs(target->createMCInstrInfo());
  if (!regs || !asm_info || !sti || !instrs) return make_error(ErrorKind::Other, "cannot set up the x86-64 disassembler");
  llvm::MCContext context(triple, asm_info.get(), regs.get(), sti.get());
  std::unique_ptr<llvm::MCDisassembler> decoder(target->createMCDisassembler(*sti, context));
  constexpr unsigned kIntelSyntax = 1;
  std::unique_ptr<llvm::MCInstPrinter> printer(
      target->createMCInstPrinter(triple, kIntelSyntax, *asm_info, *instrs, *regs));
  if (!decoder || !printer) return make_error(ErrorKind::Other, "cannot set up the x86-64 disassembler");
  printer->setPrintImmHex(true);
  printer->setPrintBranchImmAsAddress(true);

  std::string text;
  uint64_t at = 0;
  while (at < code.size()) {
    llvm::MCInst inst;
    uint64_t size = 0;
    const auto status = decoder->getInstruction(inst, size, llvm::ArrayRef<uint8_t>(code.data() + at, code.size() - at),
                                                address + at, llvm::nulls());
    text.clear();
    if (status != llvm::MCDisassembler::Success || size == 0) {
      emit(address + at, 1, "(bad)");
      ++at;
      continue;
    }
    llvm::raw_string_ostream out(text);
    // x86 branch displacements count from the next instruction, which is the address the
    // printer wants to resolve them to targets.
    printer->printInst(&inst, address + at + size, "", *sti, out);
    out.flush();
    // The printer indents with a tab and separates operands with one.
    size_t first = text.find_first_not_of(" \t");
    std::string clean = first == std::string::npos ? std::string() : text.substr(first);
    for (char& c : clean) {
      if (c == '\t') c = ' ';
    }
    emit(address + at, static_cast<uint32_t>(size), clean);
    at += size;
  }
  return {};
}

}  // namespace atl::compiler
