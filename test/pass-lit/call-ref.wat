;; instrument {}
;; call_ref: any function whose reference escapes (ref.func) may be the
;; callee, so the token says REF_TAG, and the prologue of an escaping
;; function accepts any slot or ref token.
(module
  (type $t (func (param i32) (result i32)))
  (func $target (type $t) (param i32) (result i32) (local.get 0))
  (elem declare func $target)
  (func $via-ref (export "via_ref") (param i32) (result i32)
    (call_ref $t (local.get 0) (ref.func $target))))
