(module
 (type $0 (func (param i32)))
 (type $1 (func (param i32 i32)))
 (type $2 (func (param i32) (result i32)))
 (import "ftrace" "mcount" (func $ftrace.mcount (type $1) (param i32 i32)))
 (global $wasm-ftrace$parent (mut i64) (i64.const -1))
 (global $wasm-ftrace$guard0 (mut i32) (i32.const 7))
 (tag $e (type $0) (param i32))
 (export "guarded" (func $guarded))
 (export "__ftrace_control" (func $3))
 (func $thrower (type $0) (param $0 i32)
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
      (i32.eq
       (i32.wrap_i64
        (i64.shr_u
         (local.get $1)
         (i64.const 32)
        )
       )
       (i32.const 0)
      )
     )
    )
   )
  )
  (throw $e
   (local.get $0)
  )
 )
 (func $handle (type $2) (param $0 i32) (result i32)
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
  (local.get $0)
 )
 (func $guarded (type $2) (param $0 i32) (result i32)
  (local $1 i32)
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
  (try (result i32)
   (do
    (global.set $wasm-ftrace$parent
     (i64.const 2)
    )
    (call $thrower
     (local.get $0)
    )
    (i32.const 0)
   )
   (catch $e
    (local.set $1
     (pop i32)
    )
    (global.set $wasm-ftrace$parent
     (i64.const 4294967298)
    )
    (call $handle
     (local.get $1)
    )
   )
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
 ;; custom section "wasm-ftrace", size 148, contents: "{\"version\":1,\"functionCount\":3,\"importCount\":0,\"data\":null,\"names\":[\"thrower\",\"handle\",\"guarded\"],\"moduleName\":null,\"traced\":[0,1,2],\"guardWords\":1}"
)
