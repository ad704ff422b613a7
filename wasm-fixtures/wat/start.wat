;; A start function that calls other functions, stores to a global and to
;; memory, and calls an import, all during instantiation.
(module
  (import "env" "print" (func $print (param i32)))
  (memory (export "memory") 1)
  (global $counter (mut i32) (i32.const 0))

  (func $bump (param $by i32)
    (global.set $counter (i32.add (global.get $counter) (local.get $by))))

  (func $store (param $addr i32) (param $v i32)
    (i32.store (local.get $addr) (local.get $v))
    (call $bump (i32.const 1)))

  (func $square (param $x i32) (result i32) (i32.mul (local.get $x) (local.get $x)))

  (func $init
    (call $store (i32.const 16) (i32.const 42))
    (call $store (i32.const 20) (call $square (i32.const 5)))
    (call $print (global.get $counter))
    (call $bump (i32.const 10)))

  (start $init)

  (func $get_counter (export "get_counter") (result i32) (global.get $counter))
  (func $load (export "load") (param $addr i32) (result i32) (i32.load (local.get $addr)))
  (func $rerun (export "rerun") (call $init))
)
