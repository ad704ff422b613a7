;; instrument {}
;; call_indirect with a computed slot: the token is built at run time from
;; the slot. A slot that is a local is read again for it; one that calls
;; (which would overwrite the token) goes to a scratch local first.
(module
  (type $t (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $inc $dec)
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $dec (param i32) (result i32) (i32.sub (local.get 0) (i32.const 1)))
  (func $dispatch (export "dispatch") (param i32 i32) (result i32)
    (call_indirect (type $t) (local.get 1) (local.get 0)))
  (func $dispatch-computed (export "dispatch_computed") (param i32) (result i32)
    (call_indirect (type $t) (local.get 0) (i32.and (call $inc (local.get 0)) (i32.const 1)))))
