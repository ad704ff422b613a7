;; instrument {}
;; A direct call sets the token (callee << 32 | caller) after its last operand:
;; a trivial last operand gets it just before; one that calls goes through a
;; scratch local first. Calls to imports set no token.
(module
  (import "env" "log" (func $log (param i32)))
  (func $leaf (param i32) (result i32)
    (i32.add (local.get 0) (i32.const 1)))
  (func $caller (export "caller") (param i32) (result i32)
    (call $log (local.get 0))
    (call $leaf (call $leaf (local.get 0)))))
