;; SIMD validation corners the official suite only tests in text form (which atoll skips):
;; lane indices, shuffle lanes, alignment and reserved opcodes in binary modules.

(module
  (global $g (mut v128) (v128.const i32x4 1 2 3 4))
  (memory 1)
  (func (export "lanes") (param v128) (result v128 i32 i64)
    (local.get 0)
    (i8x16.extract_lane_u 15 (local.get 0))
    (i64x2.extract_lane 1 (local.get 0)))
  (func (param v128 v128) (result v128)
    (i8x16.shuffle 0 31 1 30 2 29 3 28 4 27 5 26 6 25 7 24 (local.get 0) (local.get 1)))
  (func (result v128)
    (v128.load32_lane align=4 3 (i32.const 0) (global.get $g)))
  (func (result v128) (block (result v128) (global.get $g))))

;; i8x16.extract_lane_s with lane 16
(assert_invalid
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\06\01\60\01\7b\01\7f"          ;; type 0: [v128] -> [i32]
    "\03\02\01\00"                      ;; func 0: type 0
    "\0a\09\01\07\00\20\00\fd\15\10\0b" ;; local.get 0; i8x16.extract_lane_s 16
  )
  "invalid lane index")

;; f64x2.replace_lane with lane 2
(assert_invalid
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\07\01\60\02\7b\7c\01\7b"
    "\03\02\01\00"
    "\0a\0b\01\09\00\20\00\20\01\fd\22\02\0b"
  )
  "invalid lane index")

;; i8x16.shuffle with a lane index of 32
(assert_invalid
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\07\01\60\02\7b\7b\01\7b"
    "\03\02\01\00"
    "\0a\1a\01\18\00\20\00\20\01\fd\0d"
    "\00\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\20"
    "\0b"
  )
  "invalid lane index")

;; v128.load with alignment 2^5 > 16
(assert_invalid
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\05\01\60\00\01\7b"
    "\03\02\01\00"
    "\05\03\01\00\01"
    "\0a\0a\01\08\00\41\00\fd\00\05\00\0b"
  )
  "alignment must not be larger than natural")

;; v128.load64_lane with lane 2 (only 2 lanes of 64 bits)
(assert_invalid
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\06\01\60\01\7b\01\7b"
    "\03\02\01\00"
    "\05\03\01\00\01"
    "\0a\0d\01\0b\00\41\00\20\00\fd\57\03\00\02\0b"
  )
  "invalid lane index")

;; 0xFD 0x9a is a reserved SIMD opcode
(assert_malformed
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\04\01\60\00\00"
    "\03\02\01\00"
    "\0a\07\01\05\00\fd\9a\01\0b"
  )
  "illegal opcode")

;; SIMD sub-opcodes are LEB128 u32: an overlong but in-range encoding of v128.const (0x0c) is
;; still v128.const.
(module binary
  "\00asm" "\01\00\00\00"
  "\01\05\01\60\00\01\7b"
  "\03\02\01\00"
  "\0a\17\01\15\00\fd\8c\00"
  "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00"
  "\0b"
)
