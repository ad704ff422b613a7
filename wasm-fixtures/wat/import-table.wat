;; Imported JS functions reached through call_indirect: one re-enters the
;; module (the re-entered export must see parent HOST), one just returns (the
;; next export JS calls must see parent HOST too).
(module
  (import "env" "reenter" (func $reenter (param i32) (result i32)))
  (import "env" "print" (func $print (param i32)))
  (type $unop (func (param i32) (result i32)))
  (type $sink (func (param i32)))
  (table 3 funcref)
  (elem (i32.const 0) $reenter $double $print)

  (func $double (param $x i32) (result i32) (i32.add (local.get $x) (local.get $x)))

  ;; what env.reenter(x) calls
  (func $reentry (export "reentry") (param $x i32) (result i32)
    (call $double (local.get $x)))

  ;; table[i](x)
  (func $via_table (export "via_table") (param $i i32) (param $x i32) (result i32)
    (call_indirect (type $unop) (local.get $x) (local.get $i)))

  ;; table[2](x), which is env.print
  (func $print_via_table (export "print_via_table") (param $x i32)
    (call_indirect (type $sink) (local.get $x) (i32.const 2)))

  (func $ok (export "ok") (result i32) (i32.const 1))
)
