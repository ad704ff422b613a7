;; call_indirect through a table that is also exported: JS calls its entries directly.
(module
  (type $unop (func (param i32) (result i32)))
  (table $tbl (export "tbl") funcref (elem $inc $double $square $twice_inc))

  (func $inc (param $x i32) (result i32) (i32.add (local.get $x) (i32.const 1)))
  (func $double (param $x i32) (result i32) (i32.shl (local.get $x) (i32.const 1)))
  (func $square (param $x i32) (result i32) (i32.mul (local.get $x) (local.get $x)))
  (func $twice_inc (param $x i32) (result i32) (call $inc (call $inc (local.get $x))))

  (func $apply (export "apply") (param $f i32) (param $x i32) (result i32)
    (call_indirect $tbl (type $unop) (local.get $x) (local.get $f)))

  (func $pick (param $i i32) (result i32) (i32.and (local.get $i) (i32.const 3)))

  ;; f(g(x)): the argument and the table index are both computed by calls
  (func $compose (export "compose") (param $f i32) (param $g i32) (param $x i32) (result i32)
    (call_indirect $tbl (type $unop)
      (call $apply (local.get $g) (local.get $x))
      (call $pick (local.get $f))))
)
