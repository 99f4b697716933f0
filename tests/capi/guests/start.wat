(module
  (import "host" "log" (func $log (param i32)))
  (global $ran (export "ran") (mut i32) (i32.const 0))
  (func $start (call $log (i32.const 99)) (global.set $ran (i32.const 1)))
  (start $start)
)
