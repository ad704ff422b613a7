;; Calls to imported JS functions, one of which (env.reenter) re-enters the
;; module through the export "reentry". A function entered from JS has parent HOST.
(module
  (import "env" "print" (func $print (param i32)))
  (import "env" "reenter" (func $reenter (param i32) (result i32)))

  (func $double (param $x i32) (result i32) (i32.add (local.get $x) (local.get $x)))

  ;; what env.reenter(x) calls
  (func $reentry (export "reentry") (param $x i32) (result i32)
    (call $print (local.get $x))
    (call $double (local.get $x)))

  (func $mid (param $x i32) (result i32)
    (call $reenter (i32.add (local.get $x) (i32.const 1))))

  ;; mid(x) + double(x), where mid goes out to JS and back in
  (func $outer (export "outer") (param $x i32) (result i32)
    (i32.add (call $mid (local.get $x)) (call $double (local.get $x))))

  ;; the argument of the import call itself calls into the module
  (func $arg_calls (export "arg_calls") (param $x i32) (result i32)
    (call $reenter (call $double (local.get $x))))

  ;; prints x, x-1, ..., 1 through the import, recursing in wasm
  (func $countdown (export "countdown") (param $x i32)
    (if (i32.gt_s (local.get $x) (i32.const 0))
      (then
        (call $print (local.get $x))
        (call $countdown (i32.sub (local.get $x) (i32.const 1))))))
)
