// A C++ program with namespaces, templates, classes, virtual functions and
// overloads, built without the C++ standard library (Debian has no libc++ for
// wasm32-wasi): its mangled names are the point (wasm-ftrace --symbols and
// demangling). Built by wasm-fixtures/build.mjs; shapes.stripped.wasm is it
// without its custom sections (what wasm-strip does).
#include <stdio.h>
#include <stdlib.h>

namespace geom {
template <typename T>
struct Vec2 {
  T x, y;
  T dot(const Vec2& o) const { return x * o.x + y * o.y; }
};

class Shape {
 public:
  virtual ~Shape() {}
  virtual double area() const = 0;
};

class Circle : public Shape {
 public:
  explicit Circle(double r) : r_(r) {}
  double area() const override { return 3.14159265358979 * r_ * r_; }
 private:
  double r_;
};

class Rect : public Shape {
 public:
  Rect(double w, double h) : w_(w), h_(h) {}
  double area() const override { return w_ * h_; }
 private:
  double w_, h_;
};

template <typename T>
__attribute__((noinline)) T sum(const T* v, int n) {
  T s = 0;
  for (int i = 0; i < n; i++) s += v[i];
  return s;
}

__attribute__((noinline)) double total_area(Shape* const* shapes, int n) {
  double t = 0;
  for (int i = 0; i < n; i++) t += shapes[i]->area();
  return t;
}
}  // namespace geom

namespace util {
__attribute__((noinline)) int scale(int v) { return v * 3; }
__attribute__((noinline)) double scale(double v) { return v * 2.5; }
}  // namespace util

extern "C" void __cxa_pure_virtual() { abort(); }

void* operator new(unsigned long n) { return malloc(n); }
void operator delete(void* p) noexcept { free(p); }
void operator delete(void* p, unsigned long) noexcept { free(p); }

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 4;
  geom::Shape* shapes[8];
  for (int i = 0; i < 8; i++) shapes[i] = i % 2 ? static_cast<geom::Shape*>(new geom::Circle(i)) : new geom::Rect(i, i + 1);
  int ints[5] = {1, 2, 3, 4, 5};
  double ds[3] = {0.5, 1.5, 2.5};
  geom::Vec2<int> a{1, 2}, b{3, 4};
  double t = 0;
  for (int k = 0; k < n; k++) t += geom::total_area(shapes, 8) + geom::sum(ints, 5) + geom::sum(ds, 3) + a.dot(b) + util::scale(k) + util::scale(0.5 * k);
  printf("total %.3f\n", t);
  for (int i = 0; i < 8; i++) delete shapes[i];
  return 0;
}
