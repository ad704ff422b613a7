(module
 (type $t (func (result i32)))
 (type $1 (func (param i32 i32)))
 (import "ftrace" "mcount" (func $ftrace.mcount (type $1) (param i32 i32)))
 (global $wasm-ftrace$parent (mut i64) (i64.const -1))
 (global $wasm-ftrace$guard0 (mut i32) (i32.const 7))
 (table $0 2 funcref)
 (elem $0 (i32.const 0) $one $two)
 (export "pick" (func $pick))
 (export "__ftrace_control" (func $3))
 (func $one (type $t) (result i32)
  (local $0 i64)
  (if
   (i32.and
    (global.get $wasm-ftrace$guard0)
    (i32.const 1)
   )
   (then
    (local.set $0
     (global.get $wasm-ftrace$parent)
    )
    (global.set $wasm-ftrace$parent
     (i64.const -1)
    )
    (call $ftrace.mcount
     (i32.const 0)
     (select
      (i32.wrap_i64
       (local.get $0)
      )
      (i32.const -1)
      (i32.or
       (i32.eq
        (i32.wrap_i64
         (i64.shr_u
          (local.get $0)
          (i64.const 32)
         )
        )
        (i32.const 0)
       )
       (i32.eq
        (i32.wrap_i64
         (i64.shr_u
          (local.get $0)
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
  (i32.const 1)
 )
 (func $two (type $t) (result i32)
  (local $0 i64)
  (if
   (i32.and
    (global.get $wasm-ftrace$guard0)
    (i32.const 2)
   )
   (then
    (local.set $0
     (global.get $wasm-ftrace$parent)
    )
    (global.set $wasm-ftrace$parent
     (i64.const -1)
    )
    (call $ftrace.mcount
     (i32.const 1)
     (select
      (i32.wrap_i64
       (local.get $0)
      )
      (i32.const -1)
      (i32.or
       (i32.eq
        (i32.wrap_i64
         (i64.shr_u
          (local.get $0)
          (i64.const 32)
         )
        )
        (i32.const 1)
       )
       (i32.eq
        (i32.wrap_i64
         (i64.shr_u
          (local.get $0)
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
  (i32.const 2)
 )
 (func $pick (type $t) (result i32)
  (local $0 i64)
  (if
   (i32.and
    (global.get $wasm-ftrace$guard0)
    (i32.const 4)
   )
   (then
    (local.set $0
     (global.get $wasm-ftrace$parent)
    )
    (global.set $wasm-ftrace$parent
     (i64.const -1)
    )
    (call $ftrace.mcount
     (i32.const 2)
     (select
      (i32.wrap_i64
       (local.get $0)
      )
      (i32.const -1)
      (i32.eq
       (i32.wrap_i64
        (i64.shr_u
         (local.get $0)
         (i64.const 32)
        )
       )
       (i32.const 2)
      )
     )
    )
   )
  )
  (global.set $wasm-ftrace$parent
   (i64.const -9223372032559808510)
  )
  (call_indirect $0 (type $t)
   (i32.const 1)
  )
 )
 (func $3 (type $1) (param $0 i32) (param $1 i32)
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
 ;; custom section "wasm-ftrace", size 138, contents: "{\"version\":1,\"functionCount\":3,\"importCount\":0,\"data\":null,\"names\":[\"one\",\"two\",\"pick\"],\"moduleName\":null,\"traced\":[0,1,2],\"guardWords\":1}"
)
