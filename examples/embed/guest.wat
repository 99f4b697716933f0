;; The guest of examples/embed: logs through a host function, sums an array the host wrote into
;; its memory, and has a function that traps.
(module $guest
  (import "host" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello from the guest")
  (func (export "greet") (call $log (i32.const 0) (i32.const 20)))
  (func (export "sum") (param $ptr i32) (param $n i32) (result i64) (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (i64.load32_u (local.get $ptr))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func $read (export "read") (param i32) (result i32) (i32.load (local.get 0))))
