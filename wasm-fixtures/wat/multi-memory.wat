;; Two memories (instrument only: Node 20 cannot compile multi-memory).
;; features: multi_memory
(module
  (memory $a 1)
  (memory $b 1)
  (func $put (param $addr i32) (param $v i32) (i32.store $a (local.get $addr) (local.get $v)))
  (func $get_b (param $addr i32) (result i32) (i32.load $b (local.get $addr)))
  (func $copy_a_to_b (param $addr i32)
    (i32.store $b (local.get $addr) (i32.load $a (local.get $addr))))
  (func $roundtrip (export "roundtrip") (param $v i32) (result i32)
    (call $put (i32.const 8) (local.get $v))
    (call $copy_a_to_b (i32.const 8))
    (call $get_b (i32.const 8)))
)
