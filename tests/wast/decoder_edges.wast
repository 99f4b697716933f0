;; Decoder and validator corners the official suite does not cover.

;; 0xFC 18 is not an instruction.
(assert_malformed
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\04\01\60\00\00"
    "\03\02\01\00"
    "\0a\06\01\04\00\fc\12\0b"
  )
  "illegal opcode")

;; select with two types: the count is not 1.
(assert_invalid
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\05\01\60\00\01\7f"
    "\03\02\01\00"
    "\0a\0e\01\0c\00\41\00\41\00\41\00\1c\02\7f\7f\0b"
  )
  "invalid result arity")

;; select with zero types.
(assert_invalid
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\04\01\60\00\00"
    "\03\02\01\00"
    "\0a\0d\01\0b\00\41\00\41\00\41\00\1c\00\1a\0b"
  )
  "invalid result arity")

;; memory.init with a data section but no data count section: malformed.
(assert_malformed
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\04\01\60\00\00"
    "\03\02\01\00"
    "\05\03\01\00\01"
    "\0a\0f\01\0d\00\41\00\41\00\41\00\fc\08\00\00\0b"
    "\0b\04\01\01\01\61"
  )
  "data count section required")

;; More than 50,000 locals is beyond atoll's implementation limit.
(assert_invalid
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\04\01\60\00\00"
    "\03\02\01\00"
    "\0a\08\01\06\01\d1\86\03\7f\0b"   ;; 50001 i32 locals
  )
  "too many locals")

;; Exactly 50,000 locals is fine.
(module binary
  "\00asm" "\01\00\00\00"
  "\01\04\01\60\00\00"
  "\03\02\01\00"
  "\0a\08\01\06\01\d0\86\03\7f\0b"
)

;; A broken "name" section does not make the module malformed: custom sections are advisory.
(module binary
  "\00asm" "\01\00\00\00"
  "\00\08\04name\01\09\01"           ;; function-names subsection longer than the section
)

;; Block types may refer to any function type, including multi-value ones.
(module
  (type $pair (func (param i32) (result i32 i64)))
  (func (result i32 i64) (local i32)
    (i32.const 1)
    (block (type $pair) (i64.extend_i32_u (local.tee 0 (i32.const 2))) (drop) (i64.const 3)))
  (func (param i32) (result i32 i64)
    (local.get 0)
    (if (type $pair) (local.get 0) (then (i64.const 1)) (else (i64.const 2))))
  (func (result f64) (local f64) (f64.const 1) (loop (param f64) (result f64))))

;; A block type index past the type section is invalid, not malformed.
(assert_invalid
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\04\01\60\00\00"
    "\03\02\01\00"
    "\0a\07\01\05\00\02\05\0b\0b"
  )
  "unknown type")

;; A negative block type other than the value-type encodings is malformed.
(assert_malformed
  (module binary
    "\00asm" "\01\00\00\00"
    "\01\04\01\60\00\00"
    "\03\02\01\00"
    "\0a\07\01\05\00\02\50\0b\0b"
  )
  "malformed block type")

;; ref.func in a global initialiser declares the function for use in bodies.
(module
  (global funcref (ref.func $f))
  (func $f (drop (ref.func $f))))

;; Element segments of externref.
(module
  (table 2 externref)
  (elem (table 0) (i32.const 0) externref (ref.null extern) (ref.null extern))
  (elem declare funcref (ref.func 0))
  (func))

(assert_invalid
  (module (table 1 externref) (elem (i32.const 0) func 0) (func))
  "type mismatch")
