;; instrument {"exitHooks":true}
;; With exit hooks: the body is wrapped in a block every `return` branches to,
;; followed by the exit hook; a tail call runs the exit hook first (it leaves
;; the function), then sets the token.
(module
  (func $callee (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (func $tail (export "tail") (param i32) (result i32)
    (if (i32.eqz (local.get 0)) (then (return (i32.const 0))))
    (return_call $callee (local.get 0))))
