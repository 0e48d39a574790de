//go:build cuda

package cuda

/*
#cgo LDFLAGS: -ldl
#cgo noescape myelin_launch
#cgo nocallback myelin_launch
#cgo noescape myelin_htod
#cgo nocallback myelin_htod
#cgo noescape myelin_dtoh
#cgo nocallback myelin_dtoh
#cgo nocallback myelin_gemm

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <cuda.h>
#include <cublas_v2.h>

// The driver and cuBLAS are opened with dlopen, not linked, so that a
// program built with -tags cuda starts on a machine without them and the
// backend can say what is missing. Each function is looked up under the
// name cuda.h and cublas_v2.h map it to (cuMemAlloc is cuMemAlloc_v2), and
// called through a pointer of the type those headers declare.
#define STR(x) #x
#define XSTR(x) STR(x)

#define DRIVER(X) X(cuInit) X(cuDriverGetVersion) X(cuDeviceGetCount) X(cuDeviceGet) \
	X(cuDeviceGetName) X(cuDeviceGetAttribute) X(cuDeviceTotalMem) X(cuDevicePrimaryCtxRetain) \
	X(cuDevicePrimaryCtxRelease) X(cuCtxSetCurrent) X(cuModuleLoadData) X(cuModuleGetFunction) \
	X(cuModuleUnload) X(cuStreamCreate) X(cuStreamDestroy) X(cuStreamSynchronize) X(cuMemAlloc) \
	X(cuMemFree) X(cuMemcpyHtoDAsync) X(cuMemcpyDtoHAsync) X(cuMemcpyDtoDAsync) X(cuMemsetD32Async) \
	X(cuLaunchKernel) X(cuMemGetInfo) X(cuGetErrorName)

#define CUBLAS(X) X(cublasCreate) X(cublasDestroy) X(cublasSetStream) X(cublasSetMathMode) \
	X(cublasGetVersion) X(cublasSgemm) X(cublasSgemmStridedBatched)

#define FIELD(f) __typeof__(f) *f;
static struct { DRIVER(FIELD) } drv;
static struct { CUBLAS(FIELD) } blas;

#define LOAD(lib, table, f) if (!(table.f = (__typeof__(f) *)dlsym(lib, XSTR(f)))) return "symbol " XSTR(f) " not found";
#define LOAD_DRV(f) LOAD(h, drv, f)
#define LOAD_BLAS(f) LOAD(h, blas, f)

// myelin_load_driver opens the driver library at path and looks up every
// function; it returns NULL, or what went wrong.
static const char *myelin_load_driver(const char *path) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) return dlerror();
	DRIVER(LOAD_DRV)
	return NULL;
}

// myelin_load_cublas is myelin_load_driver for cuBLAS.
static const char *myelin_load_cublas(const char *path) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) return dlerror();
	CUBLAS(LOAD_BLAS)
	return NULL;
}

static CUresult myelin_init(int *version, int *devices) {
	CUresult r = drv.cuInit(0);
	if (r == CUDA_SUCCESS) r = drv.cuDriverGetVersion(version);
	if (r == CUDA_SUCCESS) r = drv.cuDeviceGetCount(devices);
	return r;
}

static const char *myelin_error_name(CUresult r) {
	const char *s = NULL;
	if (drv.cuGetErrorName == NULL || drv.cuGetErrorName(r, &s) != CUDA_SUCCESS) return NULL;
	return s;
}

// myelin_info describes one device.
typedef struct {
	char name[256];
	int sms, major, minor;
	size_t mem;
} myelin_info;

static CUresult myelin_device_info(int ordinal, myelin_info *in) {
	CUdevice d;
	CUresult r = drv.cuDeviceGet(&d, ordinal);
	if (r == CUDA_SUCCESS) r = drv.cuDeviceGetName(in->name, sizeof in->name, d);
	if (r == CUDA_SUCCESS) r = drv.cuDeviceGetAttribute(&in->sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, d);
	if (r == CUDA_SUCCESS) r = drv.cuDeviceGetAttribute(&in->major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, d);
	if (r == CUDA_SUCCESS) r = drv.cuDeviceGetAttribute(&in->minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, d);
	if (r == CUDA_SUCCESS) r = drv.cuDeviceTotalMem(&in->mem, d);
	return r;
}

// myelin_open retains the primary context of device ordinal (the one the
// CUDA runtime, and so cuBLAS, uses too) and creates a stream in it.
static CUresult myelin_open(int ordinal, CUdevice *dev, CUcontext *ctx, CUstream *stream) {
	CUresult r = drv.cuDeviceGet(dev, ordinal);
	if (r != CUDA_SUCCESS) return r;
	r = drv.cuDevicePrimaryCtxRetain(ctx, *dev);
	if (r != CUDA_SUCCESS) return r;
	r = drv.cuCtxSetCurrent(*ctx);
	if (r == CUDA_SUCCESS) r = drv.cuStreamCreate(stream, CU_STREAM_NON_BLOCKING);
	if (r != CUDA_SUCCESS) drv.cuDevicePrimaryCtxRelease(*dev);
	return r;
}

// myelin_close destroys the stream and releases the primary context.
static CUresult myelin_close(CUdevice dev, CUcontext ctx, CUstream stream) {
	CUresult r = drv.cuCtxSetCurrent(ctx);
	if (r == CUDA_SUCCESS) r = drv.cuStreamDestroy(stream);
	CUresult r2 = drv.cuDevicePrimaryCtxRelease(dev);
	return r != CUDA_SUCCESS ? r : r2;
}

static CUresult myelin_module(CUcontext ctx, const char *ptx, CUmodule *m) {
	CUresult r = drv.cuCtxSetCurrent(ctx);
	return r != CUDA_SUCCESS ? r : drv.cuModuleLoadData(m, ptx);
}

static CUresult myelin_function(CUmodule m, const char *name, CUfunction *f) {
	return drv.cuModuleGetFunction(f, m, name);
}

static CUresult myelin_unload(CUcontext ctx, CUmodule m) {
	CUresult r = drv.cuCtxSetCurrent(ctx);
	return r != CUDA_SUCCESS ? r : drv.cuModuleUnload(m);
}

static CUresult myelin_alloc(CUcontext ctx, size_t n, CUdeviceptr *p) {
	CUresult r = drv.cuCtxSetCurrent(ctx);
	return r != CUDA_SUCCESS ? r : drv.cuMemAlloc(p, n);
}

static CUresult myelin_free(CUcontext ctx, CUdeviceptr p) {
	CUresult r = drv.cuCtxSetCurrent(ctx);
	return r != CUDA_SUCCESS ? r : drv.cuMemFree(p);
}

static CUresult myelin_mem_info(CUcontext ctx, size_t *free, size_t *total) {
	CUresult r = drv.cuCtxSetCurrent(ctx);
	return r != CUDA_SUCCESS ? r : drv.cuMemGetInfo(free, total);
}

// myelin_htod copies n bytes of pageable host memory to the device in
// stream order; the driver has staged src when it returns.
static CUresult myelin_htod(CUcontext ctx, CUstream s, CUdeviceptr dst, const void *src, size_t n) {
	CUresult r = drv.cuCtxSetCurrent(ctx);
	return r != CUDA_SUCCESS ? r : drv.cuMemcpyHtoDAsync(dst, src, n, s);
}

// myelin_dtoh copies n bytes from the device in stream order and waits for
// the stream, so dst holds them when it returns.
static CUresult myelin_dtoh(CUcontext ctx, CUstream s, void *dst, CUdeviceptr src, size_t n) {
	CUresult r = drv.cuCtxSetCurrent(ctx);
	if (r == CUDA_SUCCESS) r = drv.cuMemcpyDtoHAsync(dst, src, n, s);
	return r != CUDA_SUCCESS ? r : drv.cuStreamSynchronize(s);
}

static CUresult myelin_dtod(CUcontext ctx, CUstream s, CUdeviceptr dst, CUdeviceptr src, size_t n) {
	CUresult r = drv.cuCtxSetCurrent(ctx);
	return r != CUDA_SUCCESS ? r : drv.cuMemcpyDtoDAsync(dst, src, n, s);
}

static CUresult myelin_fill(CUcontext ctx, CUstream s, CUdeviceptr dst, unsigned int bits, size_t n) {
	CUresult r = drv.cuCtxSetCurrent(ctx);
	return r != CUDA_SUCCESS ? r : drv.cuMemsetD32Async(dst, bits, n, s);
}

static CUresult myelin_sync(CUcontext ctx, CUstream s) {
	CUresult r = drv.cuCtxSetCurrent(ctx);
	return r != CUDA_SUCCESS ? r : drv.cuStreamSynchronize(s);
}

// MYELIN_MAX_ARGS bounds the parameters of a kernel.
#define MYELIN_MAX_ARGS 24

// myelin_launch launches f with nargs parameters whose values start at
// words[start[i]] (8-byte words; a parameter may span several).
static CUresult myelin_launch(CUcontext ctx, CUstream s, CUfunction f, unsigned grid, unsigned block,
		const uint64_t *words, int nwords, const int32_t *start, int nargs) {
	uint64_t w[2 * MYELIN_MAX_ARGS];
	void *params[MYELIN_MAX_ARGS];
	if (nargs > MYELIN_MAX_ARGS || nwords > 2 * MYELIN_MAX_ARGS) return CUDA_ERROR_INVALID_VALUE;
	for (int i = 0; i < nwords; i++) w[i] = words[i];
	for (int i = 0; i < nargs; i++) params[i] = &w[start[i]];
	CUresult r = drv.cuCtxSetCurrent(ctx);
	return r != CUDA_SUCCESS ? r : drv.cuLaunchKernel(f, grid, 1, 1, block, 1, 1, 0, s, params, NULL);
}

// myelin_cublas_open creates a cuBLAS handle in ctx on stream s, with TF32
// tensor-core math if tf32 is set, and reports cuBLAS's version.
static cublasStatus_t myelin_cublas_open(CUcontext ctx, CUstream s, int tf32, cublasHandle_t *h, int *version) {
	if (drv.cuCtxSetCurrent(ctx) != CUDA_SUCCESS) return CUBLAS_STATUS_NOT_INITIALIZED;
	cublasStatus_t r = blas.cublasCreate(h);
	if (r != CUBLAS_STATUS_SUCCESS) return r;
	r = blas.cublasSetStream(*h, (cudaStream_t)s);
	if (r == CUBLAS_STATUS_SUCCESS) r = blas.cublasSetMathMode(*h, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
	if (r == CUBLAS_STATUS_SUCCESS) r = blas.cublasGetVersion(*h, version);
	if (r != CUBLAS_STATUS_SUCCESS) blas.cublasDestroy(*h);
	return r;
}

static cublasStatus_t myelin_cublas_close(CUcontext ctx, cublasHandle_t h) {
	if (drv.cuCtxSetCurrent(ctx) != CUDA_SUCCESS) return CUBLAS_STATUS_NOT_INITIALIZED;
	return blas.cublasDestroy(h);
}

// myelin_gemm computes, column-major, C = alpha·op(A)·op(B) + beta·C for
// each of batch matrices spaced sa, sb and sc floats apart.
static cublasStatus_t myelin_gemm(CUcontext ctx, cublasHandle_t h, int ta, int tb, int m, int n, int k,
		float alpha, CUdeviceptr a, int lda, long long sa, CUdeviceptr b, int ldb, long long sb,
		float beta, CUdeviceptr c, int ldc, long long sc, int batch) {
	if (drv.cuCtxSetCurrent(ctx) != CUDA_SUCCESS) return CUBLAS_STATUS_NOT_INITIALIZED;
	cublasOperation_t oa = ta ? CUBLAS_OP_T : CUBLAS_OP_N, ob = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
	if (batch == 1)
		return blas.cublasSgemm(h, oa, ob, m, n, k, &alpha, (const float *)a, lda, (const float *)b, ldb,
			&beta, (float *)c, ldc);
	return blas.cublasSgemmStridedBatched(h, oa, ob, m, n, k, &alpha, (const float *)a, lda, sa,
		(const float *)b, ldb, sb, &beta, (float *)c, ldc, sc, batch);
}
*/
import "C"

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unsafe"

	"github.com/myelin-go/myelin/kernels"
)

// driver is the process-wide state of the CUDA driver: loaded and
// initialised once, on first use.
var driver struct {
	once    sync.Once
	err     error
	version int // CUDA version the driver supports, e.g. 12040 for 12.4
	devices int
}

// driverLibs are the names under which the driver library is looked for.
var driverLibs = []string{"libcuda.so.1", "libcuda.so"}

// loadDriver loads libcuda and runs cuInit, once; it returns the driver's
// CUDA version and device count, or why the driver is unusable.
func loadDriver() (version, devices int, err error) {
	driver.once.Do(func() {
		if msg := loadLibrary(driverLibs, driverAt); msg != "" {
			driver.err = fmt.Errorf("cuda: no NVIDIA driver: %s; install the NVIDIA driver (520 or newer) or use the cpu backend", msg)
			return
		}
		var v, n C.int
		if r := C.myelin_init(&v, &n); r != C.CUDA_SUCCESS {
			driver.err = fmt.Errorf("cuda: the driver cannot be initialised (no usable GPU, or the kernel module is not loaded): %w", cuError("cuInit", r))
			return
		}
		if n == 0 {
			driver.err = fmt.Errorf("cuda: the driver (CUDA %s) reports no CUDA device", cudaVersion(int(v)))
			return
		}
		driver.version, driver.devices = int(v), int(n)
	})
	return driver.version, driver.devices, driver.err
}

// cublasState is the process-wide state of the cuBLAS library.
var cublasState struct {
	once sync.Once
	err  error
}

// cublasLibs returns the paths tried for cuBLAS, newest major version
// first: the bare names (the loader's search path), then the same under
// $CUDA_HOME/lib64 and /usr/local/cuda/lib64.
func cublasLibs() []string {
	names := []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"}
	paths := append([]string(nil), names...)
	for _, dir := range []string{os.Getenv("CUDA_HOME"), "/usr/local/cuda"} {
		if dir == "" {
			continue
		}
		for _, n := range names {
			paths = append(paths, filepath.Join(dir, "lib64", n))
		}
	}
	return paths
}

// loadCublas loads cuBLAS once and returns why it could not.
func loadCublas() error {
	cublasState.once.Do(func() {
		if msg := loadLibrary(cublasLibs(), cublasAt); msg != "" {
			cublasState.err = fmt.Errorf("cuda: cuBLAS not found: %s; install cuBLAS 11 or newer (the CUDA toolkit, or Debian's libcublas11) and make it findable with LD_LIBRARY_PATH or CUDA_HOME", msg)
		}
	})
	return cublasState.err
}

// driverAt loads the driver library at path p; it returns nil or what went
// wrong.
func driverAt(p *C.char) *C.char { return C.myelin_load_driver(p) }

// cublasAt loads cuBLAS at path p; it returns nil or what went wrong.
func cublasAt(p *C.char) *C.char { return C.myelin_load_cublas(p) }

// loadLibrary tries load on each path in turn and returns "" at the first
// success, else what went wrong with the first path (the likeliest one).
func loadLibrary(paths []string, load func(*C.char) *C.char) string {
	var first string
	for _, p := range paths {
		cp := C.CString(p)
		msg := load(cp)
		C.free(unsafe.Pointer(cp))
		if msg == nil {
			return ""
		}
		if first == "" {
			first = C.GoString(msg)
		}
	}
	return first
}

// cudaVersion formats a CUDA version number such as 12040 as "12.4".
func cudaVersion(v int) string { return fmt.Sprintf("%d.%d", v/1000, v%1000/10) }

// Error is a failure reported by the CUDA driver or cuBLAS, with the op
// that met it.
type Error struct {
	Op   string // the Backend method or driver call, e.g. "MatMul"
	Name string // the CUDA or cuBLAS error name, e.g. "CUDA_ERROR_OUT_OF_MEMORY"
	Code int    // the numeric CUresult or cublasStatus_t
}

// Error returns "cuda: Op: NAME (code)".
func (e *Error) Error() string { return fmt.Sprintf("cuda: %s: %s (%d)", e.Op, e.Name, e.Code) }

// cuError returns the error for driver result r in op, nil for success.
func cuError(op string, r C.CUresult) error {
	if r == C.CUDA_SUCCESS {
		return nil
	}
	name := "CUDA error"
	if s := C.myelin_error_name(r); s != nil {
		name = C.GoString(s)
	}
	return &Error{Op: op, Name: name, Code: int(r)}
}

// cublasNames names the cuBLAS status codes.
var cublasNames = map[C.cublasStatus_t]string{
	C.CUBLAS_STATUS_NOT_INITIALIZED:  "CUBLAS_STATUS_NOT_INITIALIZED",
	C.CUBLAS_STATUS_ALLOC_FAILED:     "CUBLAS_STATUS_ALLOC_FAILED",
	C.CUBLAS_STATUS_INVALID_VALUE:    "CUBLAS_STATUS_INVALID_VALUE",
	C.CUBLAS_STATUS_ARCH_MISMATCH:    "CUBLAS_STATUS_ARCH_MISMATCH",
	C.CUBLAS_STATUS_MAPPING_ERROR:    "CUBLAS_STATUS_MAPPING_ERROR",
	C.CUBLAS_STATUS_EXECUTION_FAILED: "CUBLAS_STATUS_EXECUTION_FAILED",
	C.CUBLAS_STATUS_INTERNAL_ERROR:   "CUBLAS_STATUS_INTERNAL_ERROR",
	C.CUBLAS_STATUS_NOT_SUPPORTED:    "CUBLAS_STATUS_NOT_SUPPORTED",
	C.CUBLAS_STATUS_LICENSE_ERROR:    "CUBLAS_STATUS_LICENSE_ERROR",
}

// blasError returns the error for cuBLAS status s in op, nil for success.
func blasError(op string, s C.cublasStatus_t) error {
	if s == C.CUBLAS_STATUS_SUCCESS {
		return nil
	}
	name, ok := cublasNames[s]
	if !ok {
		name = "cuBLAS error"
	}
	return &Error{Op: op, Name: name, Code: int(s)}
}

// deviceInfo describes a GPU.
type deviceInfo struct {
	name         string
	sms          int
	major, minor int // compute capability
	mem          uint64
}

// device is an open GPU: its primary context, one stream, a cuBLAS handle
// on that stream and the loaded kernels. Every call makes the context
// current on the calling thread inside the same cgo call, so no goroutine
// needs to be locked to a thread.
type device struct {
	info          deviceInfo
	dev           C.CUdevice
	ctx           C.CUcontext
	stream        C.CUstream
	blas          C.cublasHandle_t
	blasVersion   int
	modules       []C.CUmodule
	fn            [kernels.Count]C.CUfunction
	driverVersion int
}

// openDevice opens GPU ordinal with TF32 GEMMs if tf32 is set, loading
// the driver and cuBLAS first if need be.
func openDevice(ordinal int, tf32 bool) (*device, error) {
	version, count, err := loadDriver()
	if err != nil {
		return nil, err
	}
	if ordinal < 0 || ordinal >= count {
		return nil, fmt.Errorf("cuda: device %d does not exist: the driver reports %d device(s), numbered from 0", ordinal, count)
	}
	if err := loadCublas(); err != nil {
		return nil, err
	}
	var ci C.myelin_info
	if err := cuError("cuDeviceGet", C.myelin_device_info(C.int(ordinal), &ci)); err != nil {
		return nil, err
	}
	d := &device{driverVersion: version, info: deviceInfo{
		name: C.GoString(&ci.name[0]), sms: int(ci.sms), major: int(ci.major), minor: int(ci.minor), mem: uint64(ci.mem),
	}}
	if err := cuError("cuDevicePrimaryCtxRetain", C.myelin_open(C.int(ordinal), &d.dev, &d.ctx, &d.stream)); err != nil {
		return nil, err
	}
	var v C.int
	var t C.int
	if tf32 {
		t = 1
	}
	if err := blasError("cublasCreate", C.myelin_cublas_open(d.ctx, d.stream, t, &d.blas, &v)); err != nil {
		C.myelin_close(d.dev, d.ctx, d.stream)
		return nil, err
	}
	d.blasVersion = int(v)
	if err := d.loadKernels(); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// loadKernels JIT-compiles the embedded PTX and looks up every kernel.
func (d *device) loadKernels() error {
	mods := map[string]C.CUmodule{}
	for _, m := range kernels.Modules() {
		ptx := C.CString(m.PTX)
		var mod C.CUmodule
		r := C.myelin_module(d.ctx, ptx, &mod)
		C.free(unsafe.Pointer(ptx))
		if err := cuError("cuModuleLoadData "+m.Name+".ptx", r); err != nil {
			return err
		}
		d.modules = append(d.modules, mod)
		mods[m.Name] = mod
	}
	for k := kernels.Kernel(0); k < kernels.Count; k++ {
		name := C.CString(k.Name())
		r := C.myelin_function(mods[k.Module()], name, &d.fn[k])
		C.free(unsafe.Pointer(name))
		if err := cuError("cuModuleGetFunction "+k.String(), r); err != nil {
			return err
		}
	}
	return nil
}

// close unloads the kernels, destroys the cuBLAS handle and the stream and
// releases the context; it returns the first failure.
func (d *device) close() error {
	var errs []error
	if d.blas != nil {
		errs = append(errs, blasError("cublasDestroy", C.myelin_cublas_close(d.ctx, d.blas)))
	}
	for _, m := range d.modules {
		errs = append(errs, cuError("cuModuleUnload", C.myelin_unload(d.ctx, m)))
	}
	errs = append(errs, cuError("cuStreamDestroy", C.myelin_close(d.dev, d.ctx, d.stream)))
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *device) alloc(bytes uint64) (uint64, error) {
	var p C.CUdeviceptr
	err := cuError("cuMemAlloc", C.myelin_alloc(d.ctx, C.size_t(bytes), &p))
	return uint64(p), err
}

func (d *device) free(p uint64) error {
	return cuError("cuMemFree", C.myelin_free(d.ctx, C.CUdeviceptr(p)))
}

// memInfo returns the free and total device memory in bytes.
func (d *device) memInfo() (free, total uint64, err error) {
	var f, t C.size_t
	err = cuError("cuMemGetInfo", C.myelin_mem_info(d.ctx, &f, &t))
	return uint64(f), uint64(t), err
}

// upload copies src, float32 or int32 values, to dst in stream order.
func upload[T float32 | int32](d *device, dst uint64, src []T) error {
	return cuError("cuMemcpyHtoDAsync", C.myelin_htod(d.ctx, d.stream, C.CUdeviceptr(dst), unsafe.Pointer(&src[0]), C.size_t(4*len(src))))
}

// download copies float32 or int32 values from src into dst once the
// work queued before is done.
func download[T float32 | int32](d *device, dst []T, src uint64) error {
	return cuError("cuMemcpyDtoHAsync", C.myelin_dtoh(d.ctx, d.stream, unsafe.Pointer(&dst[0]), C.CUdeviceptr(src), C.size_t(4*len(dst))))
}

// copy copies n floats from src to dst on the device.
func (d *device) copy(dst, src uint64, n int) error {
	return cuError("cuMemcpyDtoDAsync", C.myelin_dtod(d.ctx, d.stream, C.CUdeviceptr(dst), C.CUdeviceptr(src), C.size_t(4*n)))
}

// fill sets n floats at dst to v.
func (d *device) fill(dst uint64, v float32, n int) error {
	return cuError("cuMemsetD32Async", C.myelin_fill(d.ctx, d.stream, C.CUdeviceptr(dst), C.uint(math.Float32bits(v)), C.size_t(n)))
}

// sync waits for the stream.
func (d *device) sync() error {
	return cuError("cuStreamSynchronize", C.myelin_sync(d.ctx, d.stream))
}

// launch enqueues kernel k on grid blocks of kernels.Threads threads.
func (d *device) launch(k kernels.Kernel, grid int, a *args) error {
	r := C.myelin_launch(d.ctx, d.stream, d.fn[k], C.uint(grid), kernels.Threads,
		(*C.uint64_t)(unsafe.Pointer(&a.words[0])), C.int(a.nw), (*C.int32_t)(unsafe.Pointer(&a.start[0])), C.int(a.na))
	if r == C.CUDA_SUCCESS {
		return nil
	}
	return cuError("cuLaunchKernel "+k.Name(), r)
}

// gemm enqueues a batch of column-major cuBLAS SGEMMs (see myelin_gemm).
func (d *device) gemm(ta, tb bool, m, n, k int, alpha float32, a uint64, lda, sa int, b uint64, ldb, sb int, beta float32, c uint64, ldc, sc, batch int) error {
	op := "cublasSgemm"
	if batch > 1 {
		op = "cublasSgemmStridedBatched"
	}
	return blasError(op, C.myelin_gemm(d.ctx, d.blas, cbool(ta), cbool(tb), C.int(m), C.int(n), C.int(k),
		C.float(alpha), C.CUdeviceptr(a), C.int(lda), C.longlong(sa),
		C.CUdeviceptr(b), C.int(ldb), C.longlong(sb),
		C.float(beta), C.CUdeviceptr(c), C.int(ldc), C.longlong(sc), C.int(batch)))
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// describe returns the one-line device description Backend.Device shows.
func (d *device) describe(tf32 bool) string {
	math := "FP32 GEMMs"
	if tf32 {
		math = "TF32 GEMMs"
	}
	return fmt.Sprintf("%s, compute %d.%d, %d SMs, %.1f GiB; driver CUDA %s; cuBLAS %d.%d.%d; PTX ISA 7.8 compute_52 (JIT); %s",
		strings.TrimSpace(d.info.name), d.info.major, d.info.minor, d.info.sms, float64(d.info.mem)/(1<<30),
		cudaVersion(d.driverVersion), d.blasVersion/10000, d.blasVersion/100%100, d.blasVersion%100, math)
}
