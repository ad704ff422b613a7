fun fib(n: Int): Int = if (n < 2) n else fib(n - 1) + fib(n - 2)

class Point(val x: Int, val y: Int) {
    fun norm(): Int = x * x + y * y
}

fun main() {
    val points = List(10) { Point(it, fib(it)) }
    println("sum=" + points.sumOf { it.norm() })
}
