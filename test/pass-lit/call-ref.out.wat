(module
 (type $t (func (param i32) (result i32)))
 (type $1 (func (param i32 i32)))
 (import "ftrace" "mcount" (func $ftrace.mcount (type $1) (param i32 i32)))
 (global $wasm-ftrace$parent (mut i64) (i64.const -1))
 (global $wasm-ftrace$guard0 (mut i32) (i32.const 3))
 (elem declare func $target)
 (export "via_ref" (func $via-ref))
 (export "__ftrace_control" (func $2))
 (func $target (type $t) (param $0 i32) (result i32)
  (local $1 i64)
  (if
   (i32.and
    (global.get $wasm-ftrace$guard0)
    (i32.const 1)
   )
   (then
    (local.set $1
     (global.get $wasm-ftrace$parent)
    )
    (global.set $wasm-ftrace$parent
     (i64.const -1)
    )
    (call $ftrace.mcount
     (i32.const 0)
     (select
      (i32.wrap_i64
       (local.get $1)
      )
      (i32.const -1)
      (i32.or
       (i32.eq
        (i32.wrap_i64
         (i64.shr_u
          (local.get $1)
          (i64.const 32)
         )
        )
        (i32.const 0)
       )
       (i32.and
        (i32.lt_s
         (i32.wrap_i64
          (i64.shr_u
           (local.get $1)
           (i64.const 32)
          )
         )
         (i32.const 0)
        )
        (i32.ne
         (i32.wrap_i64
          (i64.shr_u
           (local.get $1)
           (i64.const 32)
          )
         )
         (i32.const -1)
        )
       )
      )
     )
    )
   )
  )
  (local.get $0)
 )
 (func $via-ref (type $t) (param $0 i32) (result i32)
  (local $1 i64)
  (if
   (i32.and
    (global.get $wasm-ftrace$guard0)
    (i32.const 2)
   )
   (then
    (local.set $1
     (global.get $wasm-ftrace$parent)
    )
    (global.set $wasm-ftrace$parent
     (i64.const -1)
    )
    (call $ftrace.mcount
     (i32.const 1)
     (select
      (i32.wrap_i64
       (local.get $1)
      )
      (i32.const -1)
      (i32.eq
       (i32.wrap_i64
        (i64.shr_u
         (local.get $1)
         (i64.const 32)
        )
       )
       (i32.const 1)
      )
     )
    )
   )
  )
  (call_ref $t
   (local.get $0)
   (block (result (ref (exact $t)))
    (global.set $wasm-ftrace$parent
     (i64.const -8589934591)
    )
    (ref.func $target)
   )
  )
 )
 (func $2 (type $1) (param $0 i32) (param $1 i32)
  (if
   (i32.eq
    (local.get $0)
    (i32.const -1)
   )
   (then
    (global.set $wasm-ftrace$parent
     (i64.const -1)
    )
    (return)
   )
  )
  (if
   (i32.eq
    (local.get $0)
    (i32.const 0)
   )
   (then
    (global.set $wasm-ftrace$guard0
     (local.get $1)
    )
    (return)
   )
  )
 )
 ;; custom section "wasm-ftrace", size 136, contents: "{\"version\":1,\"functionCount\":2,\"importCount\":0,\"data\":null,\"names\":[\"target\",\"via-ref\"],\"moduleName\":null,\"traced\":[0,1],\"guardWords\":1}"
)
