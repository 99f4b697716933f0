(module
  (global $g (mut i32) (i32.const 0))
  (func (export "inc") (result i32) (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g))
  (func (export "get") (result i32) (global.get $g))
  (func $f (export "null") (result funcref) (ref.null func))
  (func (export "fn") (result funcref) (ref.func $f))
  (elem declare func $f))
