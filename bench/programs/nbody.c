// The classic n-body simulation (double precision, sqrt).
#include "bench.h"
#define BODIES 5
static double x[BODIES], y[BODIES], z[BODIES], vx[BODIES], vy[BODIES], vz[BODIES], mass[BODIES];
static void init(void) {
  const double pi = 3.141592653589793, solar = 4 * pi * pi, days = 365.24;
  const double p[BODIES][7] = {
      {0, 0, 0, 0, 0, 0, 1},
      {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01, 1.66007664274403694e-03 * days,
       7.69901118419740425e-03 * days, -6.90460016972063023e-05 * days, 9.54791938424326609e-04},
      {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01, -2.76742510726862411e-03 * days,
       4.99852801234917238e-03 * days, 2.30417297573763929e-05 * days, 2.85885980666130812e-04},
      {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01, 2.96460137564761618e-03 * days,
       2.37847173959480950e-03 * days, -2.96589568540237556e-05 * days, 4.36624404335156298e-05},
      {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01, 2.68067772490389322e-03 * days,
       1.62824170038242295e-03 * days, -9.51592254519715870e-05 * days, 5.15138902046611451e-05}};
  for (int i = 0; i < BODIES; ++i) {
    x[i] = p[i][0], y[i] = p[i][1], z[i] = p[i][2];
    vx[i] = p[i][3], vy[i] = p[i][4], vz[i] = p[i][5], mass[i] = p[i][6] * solar;
  }
}
static double energy(void) {
  double e = 0;
  for (int i = 0; i < BODIES; ++i) {
    e += 0.5 * mass[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i]);
    for (int j = i + 1; j < BODIES; ++j) {
      const double dx = x[i] - x[j], dy = y[i] - y[j], dz = z[i] - z[j];
      e -= mass[i] * mass[j] / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}
BENCH_EXPORT uint64_t run(void) {
  init();
  const double dt = 0.01;
  for (int step = 0; step < 6000000; ++step) {
    for (int i = 0; i < BODIES; ++i)
      for (int j = i + 1; j < BODIES; ++j) {
        const double dx = x[i] - x[j], dy = y[i] - y[j], dz = z[i] - z[j];
        const double d2 = dx * dx + dy * dy + dz * dz;
        const double mag = dt / (d2 * __builtin_sqrt(d2));
        vx[i] -= dx * mass[j] * mag, vy[i] -= dy * mass[j] * mag, vz[i] -= dz * mass[j] * mag;
        vx[j] += dx * mass[i] * mag, vy[j] += dy * mass[i] * mag, vz[j] += dz * mass[i] * mag;
      }
    for (int i = 0; i < BODIES; ++i) x[i] += dt * vx[i], y[i] += dt * vy[i], z[i] += dt * vz[i];
  }
  return (uint64_t)(int64_t)(energy() * -1e9);
}
