;; Traps inside nested calls: unreachable, integer division, out-of-bounds
;; memory, call_indirect to a null / mismatched / out-of-range table entry,
;; and call-stack exhaustion.
(module
  (type $unop (func (param i32) (result i32)))
  (memory 1)
  (table 4 funcref)
  (elem (i32.const 0) $plus100 $wrong_sig)   ;; entries 2 and 3 stay null

  (func $ok (export "ok") (result i32) (i32.const 1))

  (func $level2 (param $x i32) (result i32)
    (if (local.get $x) (then (unreachable)))
    (local.get $x))
  (func $level1 (param $x i32) (result i32) (call $level2 (local.get $x)))
  (func $trap_unreachable (export "trap_unreachable") (param $x i32) (result i32)
    (call $level1 (local.get $x)))

  (func $div (param $a i32) (param $b i32) (result i32) (i32.div_s (local.get $a) (local.get $b)))
  (func $trap_div (export "trap_div") (param $a i32) (param $b i32) (result i32)
    (i32.add (i32.const 1) (call $div (local.get $a) (local.get $b))))

  (func $load (param $addr i32) (result i32) (i32.load (local.get $addr)))
  (func $trap_oob (export "trap_oob") (param $addr i32) (result i32)
    (call $load (local.get $addr)))

  (func $plus100 (param $x i32) (result i32) (i32.add (local.get $x) (i32.const 100)))
  (func $wrong_sig)
  (func $indirect (param $i i32) (result i32)
    (call_indirect (type $unop) (i32.const 7) (local.get $i)))
  (func $trap_indirect (export "trap_indirect") (param $i i32) (result i32)
    (call $indirect (local.get $i)))

  ;; never returns: exhausts the call stack
  (func $overflow (export "overflow") (param $x i32) (result i32)
    (i32.add (i32.const 1) (call $overflow (i32.add (local.get $x) (i32.const 1)))))
)
