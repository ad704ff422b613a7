(module
 (type $t (func (param i32) (result i32)))
 (type $1 (func (param i32 i32)))
 (type $2 (func (param i32 i32) (result i32)))
 (import "ftrace" "mcount" (func $ftrace.mcount (type $1) (param i32 i32)))
 (global $wasm-ftrace$parent (mut i64) (i64.const -1))
 (global $wasm-ftrace$guard0 (mut i32) (i32.const 15))
 (table $0 2 funcref)
 (elem $0 (i32.const 0) $inc $dec)
 (export "dispatch" (func $dispatch))
 (export "dispatch_computed" (func $dispatch-computed))
 (export "__ftrace_control" (func $4))
 (func $inc (type $t) (param $0 i32) (result i32)
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
       (i32.eq
        (i32.wrap_i64
         (i64.shr_u
          (local.get $1)
          (i64.const 32)
         )
        )
        (i32.const -2147483648)
       )
      )
     )
    )
   )
  )
  (i32.add
   (local.get $0)
   (i32.const 1)
  )
 )
 (func $dec (type $t) (param $0 i32) (result i32)
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
      (i32.or
       (i32.eq
        (i32.wrap_i64
         (i64.shr_u
          (local.get $1)
          (i64.const 32)
         )
        )
        (i32.const 1)
       )
       (i32.eq
        (i32.wrap_i64
         (i64.shr_u
          (local.get $1)
          (i64.const 32)
         )
        )
        (i32.const -2147483647)
       )
      )
     )
    )
   )
  )
  (i32.sub
   (local.get $0)
   (i32.const 1)
  )
 )
 (func $dispatch (type $2) (param $0 i32) (param $1 i32) (result i32)
  (local $2 i64)
  (if
   (i32.and
    (global.get $wasm-ftrace$guard0)
    (i32.const 4)
   )
   (then
    (local.set $2
     (global.get $wasm-ftrace$parent)
    )
    (global.set $wasm-ftrace$parent
     (i64.const -1)
    )
    (call $ftrace.mcount
     (i32.const 2)
     (select
      (i32.wrap_i64
       (local.get $2)
      )
      (i32.const -1)
      (i32.eq
       (i32.wrap_i64
        (i64.shr_u
         (local.get $2)
         (i64.const 32)
        )
       )
       (i32.const 2)
      )
     )
    )
   )
  )
  (call_indirect $0 (type $t)
   (local.get $1)
   (block (result i32)
    (global.set $wasm-ftrace$parent
     (i64.or
      (i64.shl
       (i64.extend_i32_u
        (i32.or
         (local.get $0)
         (i32.const -2147483648)
        )
       )
       (i64.const 32)
      )
      (i64.const 2)
     )
    )
    (local.get $0)
   )
  )
 )
 (func $dispatch-computed (type $t) (param $0 i32) (result i32)
  (local $1 i32)
  (local $2 i64)
  (if
   (i32.and
    (global.get $wasm-ftrace$guard0)
    (i32.const 8)
   )
   (then
    (local.set $2
     (global.get $wasm-ftrace$parent)
    )
    (global.set $wasm-ftrace$parent
     (i64.const -1)
    )
    (call $ftrace.mcount
     (i32.const 3)
     (select
      (i32.wrap_i64
       (local.get $2)
      )
      (i32.const -1)
      (i32.eq
       (i32.wrap_i64
        (i64.shr_u
         (local.get $2)
         (i64.const 32)
        )
       )
       (i32.const 3)
      )
     )
    )
   )
  )
  (call_indirect $0 (type $t)
   (local.get $0)
   (block (result i32)
    (global.set $wasm-ftrace$parent
     (i64.const 3)
    )
    (local.set $1
     (i32.and
      (call $inc
       (local.get $0)
      )
      (i32.const 1)
     )
    )
    (global.set $wasm-ftrace$parent
     (i64.or
      (i64.shl
       (i64.extend_i32_u
        (i32.or
         (local.get $1)
         (i32.const -2147483648)
        )
       )
       (i64.const 32)
      )
      (i64.const 3)
     )
    )
    (local.get $1)
   )
  )
 )
 (func $4 (type $1) (param $0 i32) (param $1 i32)
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
 ;; custom section "wasm-ftrace", size 164, contents: "{\"version\":1,\"functionCount\":4,\"importCount\":0,\"data\":null,\"names\":[\"inc\",\"dec\",\"dispatch\",\"dispatch-computed\"],\"moduleName\":null,\"traced\":[0,1,2,3],\"guardWords\":1}"
)
