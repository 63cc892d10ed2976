// The one binding file: kinejac's native core as the Python module kinejac._core (nanobind).
//
// Bound objects own the robot's arrays (Model: the tree and its sphere model; Tasks: a problem's
// frames, weights and joints; Options), so a call passes only targets, starts and outputs. Inputs
// are checked here, once, and a bad one raises kinejac.KinejacError; outputs must be C-contiguous
// arrays of the exact dtype and shape (they are written in place, never converted). The long loops
// run without the GIL.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

// numpy's C API, for the fast doors only (see "Fast doors" below): checking an array and making one
// cost ~10-50 ns through it, against ~260 ns per array through nanobind's ndarray caster.
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kinejac/analytic.hpp"
#include "kinejac/collision.hpp"
#include "kinejac/configuration.hpp"
#include "kinejac/free_ik.hpp"
#include "kinejac/linalg.hpp"
#include "kinejac/pool.hpp"
#include "kinejac/residual.hpp"
#include "kinejac/solver.hpp"
#include "kinejac/spheres.hpp"
#include "kinejac/tree.hpp"

namespace nb = nanobind;
using namespace nb::literals;
using namespace kinejac;

namespace {

template <class T>
using In = nb::ndarray<const T, nb::numpy, nb::c_contig, nb::device::cpu>;
template <class T>
using Out = nb::ndarray<T, nb::numpy, nb::c_contig, nb::device::cpu>;

[[noreturn]] void fail(const std::string& message) {
    nb::object error = nb::module_::import_("kinejac.errors").attr("KinejacError");
    PyErr_SetString(error.ptr(), message.c_str());
    throw nb::python_error();
}

// A shape as numpy prints it: (3,), (2, 4); -1 reads "n" (any size).
std::string shape_text(const std::vector<int64_t>& shape) {
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i) {
        s += shape[i] < 0 ? std::string("n") : std::to_string(shape[i]);
        if (shape.size() == 1 || i + 1 < shape.size()) s += shape.size() == 1 ? "," : ", ";
    }
    return s + ")";
}

// Check `a`'s shape against `want` (-1: any size).
template <class A>
void expect(const A& a, const char* name, std::initializer_list<int64_t> want) {
    bool ok = a.ndim() == want.size();
    size_t i = 0;
    for (int64_t w : want) {
        if (ok && w >= 0 && a.shape(i) != static_cast<size_t>(w)) ok = false;
        ++i;
    }
    if (ok) return;
    std::vector<int64_t> got(a.ndim());
    for (size_t k = 0; k < a.ndim(); ++k) got[k] = static_cast<int64_t>(a.shape(k));
    fail(std::string("kinejac core: expected ") + name + " of shape " + shape_text(want) + ", got " + shape_text(got));
}

void in_range(int64_t v, int64_t lo, int64_t hi, const std::string& what) {
    if (v < lo || v >= hi)
        fail("kinejac core: " + what + " is " + std::to_string(v) + ", outside [" + std::to_string(lo) + ", " +
             std::to_string(hi) + ")");
}

Tree make_tree(In<double> jf, In<int64_t> ji, In<int64_t> cj, In<double> ff, In<int64_t> fi, In<double> lo,
               In<double> hi, In<int64_t> mode, In<int64_t> cv, int nq, int nv) {
    expect(jf, "jf", {-1, 17});
    const int64_t nj = static_cast<int64_t>(jf.shape(0));
    if (nj < 1) fail("kinejac core: a tree needs at least the world joint");
    expect(ji, "ji", {nj, 5});
    expect(cj, "cj", {-1, 3});
    expect(ff, "ff", {-1, 12});
    const int64_t nf = static_cast<int64_t>(ff.shape(0));
    expect(fi, "fi", {nf});
    for (auto* a : {&lo, &hi}) expect(*a, "limits", {nq});
    expect(mode, "mode", {nq});
    expect(cv, "cv", {nq});
    Tree t;
    t.nq = nq;
    t.nv = nv;
    t.joints.resize(nj);
    for (int64_t j = 1; j < nj; ++j) {
        Joint& J = t.joints[j];
        const double* f = jf.data() + 17 * j;
        const int64_t* i = ji.data() + 5 * j;
        std::copy(f, f + 9, J.R);
        std::copy(f + 9, f + 12, J.p);
        std::copy(f + 12, f + 15, J.axis);
        J.scale = f[15];
        J.offset = f[16];
        J.unrotated = J.identity_placement();
        in_range(i[0], 0, j, "the parent of joint " + std::to_string(j));
        in_range(i[1], REVOLUTE, TRANSLATION + 1, "the type of joint " + std::to_string(j));
        in_range(i[4], -1, 3, "the aligned axis of joint " + std::to_string(j));
        static const int dofs[][2] = {{1, 1}, {1, 1}, {2, 1}, {7, 6}, {4, 3}, {4, 3}, {3, 3}};
        in_range(i[2], 0, nq - dofs[i[1]][0] + 1, "the first coordinate of joint " + std::to_string(j));
        in_range(i[3], 0, nv - dofs[i[1]][1] + 1, "the first tangent index of joint " + std::to_string(j));
        J.parent = static_cast<int>(i[0]);
        J.type = static_cast<int>(i[1]);
        J.iq = static_cast<int>(i[2]);
        J.iv = static_cast<int>(i[3]);
        J.aligned = static_cast<int>(i[4]);
    }
    for (size_t n = 0; n < cj.shape(0); ++n) {
        const int64_t* c = cj.data() + 3 * n;
        in_range(c[0], REVOLUTE, TRANSLATION + 1, "a coordinate's joint type");
        in_range(c[1], 0, nq, "a coordinate index");
        in_range(c[2], 0, std::max(nv, 1), "a tangent index");
        t.coords.push_back({static_cast<int>(c[0]), static_cast<int>(c[1]), static_cast<int>(c[2])});
    }
    t.frames.resize(nf);
    for (int64_t f = 0; f < nf; ++f) {
        Frame& F = t.frames[f];
        std::copy(ff.data() + 12 * f, ff.data() + 12 * f + 9, F.R);
        std::copy(ff.data() + 12 * f + 9, ff.data() + 12 * f + 12, F.p);
        in_range(fi.data()[f], 0, nj, "the parent joint of frame " + std::to_string(f));
        F.joint = static_cast<int>(fi.data()[f]);
    }
    t.lo.assign(lo.data(), lo.data() + nq);
    t.hi.assign(hi.data(), hi.data() + nq);
    for (int k = 0; k < nq; ++k) {
        in_range(mode.data()[k], FREE, ANGLE + 1, "the limit mode of coordinate " + std::to_string(k));
        t.mode.push_back(static_cast<int>(mode.data()[k]));
        if (t.mode[k] == HOLD) in_range(cv.data()[k], 0, nv, "the tangent index of coordinate " + std::to_string(k));
        t.cv.push_back(static_cast<int>(cv.data()[k]));
    }
    return t;
}

std::vector<std::array<int, 2>> pairs_of(const In<int64_t>& a, const char* name, int64_t first, int64_t second) {
    expect(a, name, {-1, 2});
    std::vector<std::array<int, 2>> out(a.shape(0));
    for (size_t k = 0; k < out.size(); ++k) {
        in_range(a.data()[2 * k], 0, first, std::string(name) + " entry");
        in_range(a.data()[2 * k + 1], 0, second, std::string(name) + " entry");
        out[k] = {static_cast<int>(a.data()[2 * k]), static_cast<int>(a.data()[2 * k + 1])};
    }
    return out;
}

SphereModel make_spheres(const Tree& tree, In<int64_t> sj, In<double> sc, In<double> sr, In<int64_t> sp,
                         In<int64_t> ok, In<double> oT, In<double> osz, In<int64_t> opairs) {
    expect(sj, "sphere_joint", {-1});
    const int64_t S = static_cast<int64_t>(sj.shape(0));
    expect(sc, "sphere_center", {S, 3});
    expect(sr, "sphere_radius", {S});
    expect(ok, "obstacle_kind", {-1});
    const int64_t O = static_cast<int64_t>(ok.shape(0));
    expect(oT, "obstacle_pose", {O, 4, 4});
    expect(osz, "obstacle_size", {O, 3});
    SphereModel m;
    for (int64_t s = 0; s < S; ++s) in_range(sj.data()[s], 0, tree.njoints(), "a sphere's joint");
    for (int64_t o = 0; o < O; ++o) in_range(ok.data()[o], OBSTACLE_SPHERE, OBSTACLE_CYLINDER + 1, "an obstacle kind");
    m.joint.assign(sj.data(), sj.data() + S);
    m.center.assign(sc.data(), sc.data() + 3 * S);
    m.radius.assign(sr.data(), sr.data() + S);
    m.self_pairs = pairs_of(sp, "self_pairs", S, S);
    m.obstacle_kind.assign(ok.data(), ok.data() + O);
    m.obstacle_pose.assign(oT.data(), oT.data() + 16 * O);
    m.obstacle_size.assign(osz.data(), osz.data() + 3 * O);
    m.obstacle_pairs = pairs_of(opairs, "obstacle_pairs", S, O);
    return m;
}

Tasks make_tasks(const Model& model, In<int64_t> ti, In<double> tw, In<int64_t> path) {
    expect(ti, "ti", {-1, 3});
    const int64_t nt = static_cast<int64_t>(ti.shape(0));
    expect(tw, "tw", {nt, 6});
    expect(path, "path", {-1});
    const int64_t nf = static_cast<int64_t>(model.tree.frames.size());
    std::vector<Task> tasks(nt);
    for (int64_t k = 0; k < nt; ++k) {
        const int64_t* i = ti.data() + 3 * k;
        in_range(i[0], 0, nf, "a task's frame");
        in_range(i[1], -1, nf, "a task's reference frame");
        tasks[k].frame = static_cast<int>(i[0]);
        tasks[k].ref = static_cast<int>(i[1]);
        tasks[k].full = i[2] != 0;
        std::copy(tw.data() + 6 * k, tw.data() + 6 * k + 6, tasks[k].w);
    }
    std::vector<int> p(path.shape(0));
    int last = 0;
    for (size_t n = 0; n < p.size(); ++n) {
        in_range(path.data()[n], last + 1, model.tree.njoints(), "a path joint (sorted, after the world)");
        p[n] = last = static_cast<int>(path.data()[n]);
    }
    return Tasks(std::move(tasks), std::move(p));
}

// Tasks are built against one model; another must have their frames and joints (the same robot).
void need_rows(const Tasks& tasks, const Model& model) {
    const int nf = static_cast<int>(model.tree.frames.size());
    bool ok = tasks.path.empty() || tasks.path.back() < model.tree.njoints();
    for (const Task& t : tasks.tasks) ok = ok && t.frame < nf && t.ref < nf;
    if (!ok) fail("kinejac core: these tasks were built for another robot");
}

// A closed form given to the solver must be of these tasks (one full-pose task of its frame, in its
// reference) on this model.
void need_closed(const Analytic* a, const Model& model, const Tasks& tasks) {
    if (a != nullptr && !solves(*a, model.tree, tasks))
        fail("kinejac core: the closed form was built for another robot or task (it solves one full-pose task of its frame)");
}

Analytic make_analytic(const Model& model, const Tasks& tasks, int family, int placement, bool reversed, int searched,
                       int samples, In<double> h, In<double> o, In<int64_t> iq, In<int64_t> iv, In<int64_t> continuous,
                       In<int64_t> fixed, In<double> T0) {
    expect(h, "h", {-1, 3});
    const int64_t n = static_cast<int64_t>(h.shape(0));
    expect(o, "o", {n, 3});
    for (auto* a : {&iq, &iv, &continuous, &fixed}) expect(*a, "chain joint indices", {n});
    expect(T0, "T0", {4, 4});
    in_range(family, SPHERICAL_WRIST, TWO_INTERSECTING + 1, "the family");
    in_range(placement, BC_PARALLEL, SEARCHED + 1, "the placement");
    if (family == TWO_INTERSECTING && placement == SEARCHED) fail("kinejac core: a two-intersecting chain needs a closed-form placement");
    if (family == THREE_PARALLEL && placement != BC_PARALLEL) fail("kinejac core: a three-parallel chain has no placement");
    if (searched != 0 && searched != 3) fail("kinejac core: the searched joint is 0 or 3");
    in_range(samples, 8, 1 << 16, "the search samples");
    if (tasks.tasks.size() != 1 || !tasks.tasks[0].full)
        fail("kinejac core: closed-form IK needs one full-pose task");
    need_rows(tasks, model);
    Analytic a;
    a.tree = model.tree;
    a.tasks = tasks;
    a.family = family;
    a.placement = placement;
    a.reversed = reversed;
    a.searched = searched;
    a.samples = samples;
    int free = 0;
    for (int64_t j = 0; j < n; ++j) {
        ChainJoint J;
        const double* hj = h.data() + 3 * j;
        const double len = std::sqrt(hj[0] * hj[0] + hj[1] * hj[1] + hj[2] * hj[2]);
        if (!(len > 0.5 && len < 2.0)) fail("kinejac core: a chain axis is not a unit vector");
        J.h = {hj[0] / len, hj[1] / len, hj[2] / len};
        J.o = {o.data()[3 * j], o.data()[3 * j + 1], o.data()[3 * j + 2]};
        J.continuous = continuous.data()[j] != 0;
        J.fixed = fixed.data()[j] != 0;
        in_range(iq.data()[j], 0, model.tree.nq - (J.continuous ? 1 : 0), "a chain joint's coordinate");
        in_range(iv.data()[j], 0, model.tree.nv, "a chain joint's tangent index");
        J.iq = static_cast<int>(iq.data()[j]);
        J.iv = static_cast<int>(iv.data()[j]);
        free += !J.fixed;
        a.joints.push_back(J);
    }
    if (free != 6) fail("kinejac core: closed-form IK needs 6 free chain joints, got " + std::to_string(free));
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) a.R0[3 * r + c] = T0.data()[4 * r + c];
    a.p0 = {T0.data()[3], T0.data()[7], T0.data()[11]};
    return a;
}

// The options of a collision-free solve, checked: the closed form must be of this robot.
FreeOptions free_options(const Model& model, const Tasks& tasks, double clearance, int candidates,
                         const Analytic* analytic, int sweeps) {
    if (candidates < 0) fail("kinejac core: candidates must be >= 0, got " + std::to_string(candidates));
    if (sweeps < 1) fail("kinejac core: sweeps must be >= 1, got " + std::to_string(sweeps));
    need_closed(analytic, model, tasks);
    FreeOptions f;
    f.clearance = clearance;
    f.candidates = candidates;
    f.analytic = analytic;
    f.sweeps = sweeps;
    return f;
}

AnalyticWork& thread_analytic_work() {
    thread_local AnalyticWork w;
    return w;
}

// The arrays of one problem: targets T (nt, 4, 4) (one task: also (4, 4)), start q0 (nq,), answer
// out_q (nq,).
void check_single(const Model& model, const Tasks& tasks, const In<double>& T, const In<double>& q0,
                  const Out<double>& out_q) {
    const int64_t nq = model.tree.nq;
    if (T.ndim() == 2 && tasks.tasks.size() == 1)
        expect(T, "T", {4, 4});
    else
        expect(T, "T", {static_cast<int64_t>(tasks.tasks.size()), 4, 4});
    expect(q0, "q0", {nq});
    expect(out_q, "out_q", {nq});
    need_rows(tasks, model);
}

// The arrays of a batch of B problems (returned): targets Ts (B, nt, 4, 4), starts Q0 (B, nq), seeds
// (B, 2), outputs out_q (B, nq), out_f (B, 4), out_i (B, width); and threads >= 1.
int64_t check_batch(const Model& model, const Tasks& tasks, const In<double>& Ts, const In<double>& Q0,
                    const In<uint64_t>& seeds, const Out<double>& out_q, const Out<double>& out_f,
                    const Out<int64_t>& out_i, int64_t width, int threads) {
    const int64_t nq = model.tree.nq, nt = static_cast<int64_t>(tasks.tasks.size());
    expect(Ts, "Ts", {-1, nt, 4, 4});
    const int64_t B = static_cast<int64_t>(Ts.shape(0));
    expect(Q0, "Q0", {B, nq});
    expect(seeds, "seeds", {B, 2});
    expect(out_q, "out_q", {B, nq});
    expect(out_f, "out_f", {B, 4});
    expect(out_i, "out_i", {B, width});
    need_rows(tasks, model);
    if (threads < 1) fail("kinejac core: threads must be >= 1, got " + std::to_string(threads));
    return B;
}

Workspace& thread_workspace() {
    thread_local Workspace ws;
    return ws;
}

// ---- Fast doors --------------------------------------------------------------------------------
// The hot single calls (IKSolver.solve and AnalyticIK.solve on a plain pose) in one crossing: the
// arrays are checked with numpy's C API, the core runs, and the Python result object is built here
// as its of_fields/of_rows class methods build it (object.__new__, then each field set past the
// frozen dataclass's __setattr__). Any input the door does not take as it is (another type,
// dtype, shape or layout, or one the core refuses) gives None: the Python path then checks,
// converts or explains it, so the door changes no behaviour, only the cost.

// `o` as an aligned, C-contiguous float64 array of exactly `shape`, else nullptr.
const double* f64_data(PyObject* o, int ndim, const npy_intp* shape) {
    if (!PyArray_CheckExact(o)) return nullptr;
    auto* a = reinterpret_cast<PyArrayObject*>(o);
    if (PyArray_NDIM(a) != ndim || PyArray_TYPE(a) != NPY_DOUBLE || !PyArray_ISCARRAY_RO(a) ||
        !PyArray_ISNOTSWAPPED(a))
        return nullptr;
    for (int i = 0; i < ndim; ++i)
        if (PyArray_DIM(a, i) != shape[i]) return nullptr;
    return static_cast<const double*>(PyArray_DATA(a));
}

// A new float64 array of `shape` (owned by numpy), or a Python error.
nb::object new_f64(int ndim, const npy_intp* shape) {
    PyObject* a = PyArray_SimpleNew(ndim, const_cast<npy_intp*>(shape), NPY_DOUBLE);
    if (a == nullptr) throw nb::python_error();
    return nb::steal(a);
}

// An instance of the Python class `cls` with `fields` (interned names, values), built as
// object.__new__(cls) and object.__setattr__ for each field would (past a frozen dataclass's own
// __setattr__; the instance's values go straight into its slots of the class's shared keys).
nb::object new_record(nb::handle cls, std::initializer_list<std::pair<nb::handle, nb::handle>> fields) {
    static PyObject* const no_args = PyTuple_New(0);
    auto* type = reinterpret_cast<PyTypeObject*>(cls.ptr());
    nb::object obj = nb::steal(PyBaseObject_Type.tp_new(type, no_args, nullptr));
    if (!obj.is_valid()) throw nb::python_error();
    for (const auto& [name, value] : fields)
        if (PyObject_GenericSetAttr(obj.ptr(), name.ptr(), value.ptr()) != 0) throw nb::python_error();
    return obj;
}

// Entry `code` of the tuple `reasons` (the Python enum's members in the core's order).
nb::handle reason_of(const nb::object& reasons, int code) {
    if (code < 0 || code >= PyTuple_GET_SIZE(reasons.ptr()))
        fail("kinejac core: reason code " + std::to_string(code) + " has no entry in the reasons given");
    return PyTuple_GET_ITEM(reasons.ptr(), code);
}

// The C++ object of `o`, a bound T (a KinejacError naming what came instead).
template <class T>
const T* bound(const nb::object& o, const char* what) {
    if (!nb::isinstance<T>(o))
        fail(std::string("kinejac core: expected ") + what + ", got " + nb::type_name(o.type()).c_str());
    return nb::inst_ptr<T>(o);
}

nb::object interned(const char* name) { return nb::steal(PyUnicode_InternFromString(name)); }

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// What both doors share: the default start `mid` (nq), the result class and the reasons (the Python
// enum's members in the core's order), and the check of a call's arrays.
struct Door {
    nb::object mid_ref, result_cls, reasons;
    const double* mid = nullptr;
    npy_intp nq = 0;

    void set(npy_intp n, nb::object mid_, nb::type_object cls, nb::tuple reasons_) {
        nq = n;
        mid = f64_data(mid_.ptr(), 1, &nq);
        if (mid == nullptr) fail("kinejac core: mid must be a C-contiguous float64 array of shape (nq,)");
        mid_ref = std::move(mid_), result_cls = std::move(cls), reasons = std::move(reasons_);
    }

    // The target (4, 4) and the start (q0, or mid for None) as the door takes them, else false.
    bool take(nb::handle target, nb::handle q0, const double*& T, const double*& start) const {
        static const npy_intp shape_T[2] = {4, 4};
        T = f64_data(target.ptr(), 2, shape_T);
        start = q0.is_none() ? mid : f64_data(q0.ptr(), 1, &nq);
        return T != nullptr && start != nullptr;
    }
};

// IKSolver's plain solve of its frame's pose: (target (4, 4), q0 (nq,) or None) -> IKResult or None.
struct PoseDoor : Door {
    nb::object model_ref, tasks_ref, opts_ref, closed_ref;
    const Model* model = nullptr;
    const Tasks* tasks = nullptr;
    const Options* opts = nullptr;
    const Analytic* closed = nullptr;
    uint64_t key = 0, index = 0;
    nb::object f_q = interned("q"), f_success = interned("success"), f_perr = interned("position_error"),
               f_rerr = interned("rotation_error"), f_it = interned("iterations"), f_restarts = interned("restarts"),
               f_time = interned("time"), f_reason = interned("reason"), f_history = interned("history");

    nb::object call(nb::handle target, nb::handle q0) const {
        const auto t0 = std::chrono::steady_clock::now();
        const double *T, *start;
        if (!take(target, q0, T, start)) return nb::none();
        nb::object q = new_f64(1, &nq);
        Workspace& ws = thread_workspace();
        Result r;
        {
            nb::gil_scoped_release release;
            r = solve_one(*model, *tasks, *opts, T, start, key, index, ws,
                          static_cast<double*>(PyArray_DATA(reinterpret_cast<PyArrayObject*>(q.ptr()))), closed);
        }
        if (r.reason < 0) return nb::none();  // refused: the Python path explains or repairs it
        PyArray_CLEARFLAGS(reinterpret_cast<PyArrayObject*>(q.ptr()), NPY_ARRAY_WRITEABLE);
        return new_record(result_cls, {{f_q, q},
                                       {f_success, nb::bool_(r.reason == CONVERGED)},
                                       {f_perr, nb::float_(r.position_error)},
                                       {f_rerr, nb::float_(r.rotation_error)},
                                       {f_it, nb::int_(r.iterations)},
                                       {f_restarts, nb::int_(r.restarts)},
                                       {f_time, nb::float_(seconds_since(t0))},
                                       {f_reason, reason_of(reasons, r.reason)},
                                       {f_history, nb::none()}});
    }
};

// AnalyticIK.solve of a pose: (target (4, 4), q0 (nq,) or None) -> IKSolutions or None.
struct AllDoor : Door {
    nb::object analytic_ref, structure;
    const Analytic* analytic = nullptr;
    nb::object f_rows = interned("rows"), f_reason = interned("reason"), f_singular = interned("singular"),
               f_candidates = interned("candidates"), f_outside = interned("outside_limits"),
               f_not_converged = interned("not_converged"), f_structure = interned("structure"),
               f_time = interned("time");

    nb::object call(nb::handle target, nb::handle q0) const {
        const auto t0 = std::chrono::steady_clock::now();
        const double *T, *start;
        if (!take(target, q0, T, start)) return nb::none();
        AnalyticWork& w = thread_analytic_work();
        thread_local std::vector<double> out;
        const size_t width = static_cast<size_t>(nq) + 3;
        out.resize(static_cast<size_t>(analytic->capacity()) * width);
        AllResult r;
        {
            nb::gil_scoped_release release;
            r = solve_all(*analytic, T, start, w, out.data());
        }
        if (r.reason < 0) return nb::none();
        const npy_intp shape[2] = {r.count, static_cast<npy_intp>(width)};
        nb::object rows = new_f64(2, shape);
        std::copy(out.begin(), out.begin() + static_cast<size_t>(r.count) * width,
                  static_cast<double*>(PyArray_DATA(reinterpret_cast<PyArrayObject*>(rows.ptr()))));
        return new_record(result_cls, {{f_rows, rows},
                                       {f_reason, reason_of(reasons, r.reason)},
                                       {f_singular, nb::bool_(r.singular)},
                                       {f_candidates, nb::int_(r.candidates)},
                                       {f_outside, nb::int_(r.outside_limits)},
                                       {f_not_converged, nb::int_(r.not_converged)},
                                       {f_structure, structure},
                                       {f_time, nb::float_(seconds_since(t0))}});
    }
};

}  // namespace

void bind_collision(nb::module_& m);  // the collision world's bindings, at the end of this file

NB_MODULE(_core, m) {
    if (_import_array() < 0) throw nb::python_error();  // numpy's C API, for the fast doors
    m.doc() = "kinejac's native core (C++17): kinematics, the SE(3) maps and the IK solvers. Internal: "
              "kinejac.core is its Python face.";

    nb::class_<Model>(m, "Model", "A robot's kinematic tree and its sphere model (read-only once built).")
        .def("__init__",
             [](Model* self, In<double> jf, In<int64_t> ji, In<int64_t> cj, In<double> ff, In<int64_t> fi,
                In<double> lo, In<double> hi, In<int64_t> mode, In<int64_t> cv, int nq, int nv, In<int64_t> sj,
                In<double> sc, In<double> sr, In<int64_t> sp, In<int64_t> ok, In<double> oT, In<double> osz,
                In<int64_t> opairs) {
                 if (nq < 0 || nv < 0) fail("kinejac core: nq and nv must be >= 0");
                 Tree tree = make_tree(jf, ji, cj, ff, fi, lo, hi, mode, cv, nq, nv);
                 SphereModel sph = make_spheres(tree, sj, sc, sr, sp, ok, oT, osz, opairs);
                 new (self) Model{std::move(tree), std::move(sph)};
             },
             "jf"_a, "ji"_a, "cj"_a, "ff"_a, "fi"_a, "lo"_a, "hi"_a, "mode"_a, "cv"_a, "nq"_a, "nv"_a,
             "sphere_joint"_a, "sphere_center"_a, "sphere_radius"_a, "self_pairs"_a, "obstacle_kind"_a,
             "obstacle_pose"_a, "obstacle_size"_a, "obstacle_pairs"_a)
        .def_prop_ro("nq", [](const Model& m) { return m.tree.nq; })
        .def_prop_ro("nv", [](const Model& m) { return m.tree.nv; })
        .def_prop_ro("njoints", [](const Model& m) { return m.tree.njoints(); })
        .def_prop_ro("nframes", [](const Model& m) { return static_cast<int>(m.tree.frames.size()); })
        .def_prop_ro("nspheres", [](const Model& m) { return m.spheres.spheres(); })
        .def("support",
             [](const Model& m, const std::vector<int>& frames, const std::vector<int>& joints) {
                 for (int f : frames) in_range(f, 0, static_cast<int64_t>(m.tree.frames.size()), "a frame id");
                 for (int j : joints) in_range(j, 0, m.tree.njoints(), "a joint id");
                 return m.tree.support(frames, joints);
             },
             "frames"_a, "joints"_a = std::vector<int>(),
             "The joints moving any of `frames` or `joints` (their ancestors), sorted.");

    nb::class_<Tasks>(m, "Tasks", "A problem's frame tasks: frames, weights and the joints that move them.")
        .def("__init__",
             [](Tasks* self, const Model& model, In<int64_t> ti, In<double> tw, In<int64_t> path) {
                 new (self) Tasks(make_tasks(model, ti, tw, path));
             },
             "model"_a, "ti"_a, "tw"_a, "path"_a)
        .def_prop_ro("rows", [](const Tasks& t) { return t.rows; })
        .def_prop_ro("count", [](const Tasks& t) { return static_cast<int>(t.tasks.size()); });

    nb::class_<Options>(m, "Options", "The solver's options (see kinejac.ik.IKSolver).")
        .def(nb::init<>())
        .def("copy", [](const Options& o) { return Options(o); })
        .def_rw("method", &Options::method)
        .def_rw("position_tolerance", &Options::position_tolerance)
        .def_rw("rotation_tolerance", &Options::rotation_tolerance)
        .def_rw("max_iterations", &Options::max_iterations)
        .def_rw("max_restarts", &Options::max_restarts)
        .def_rw("stall_iterations", &Options::stall_iterations)
        .def_rw("stall_progress", &Options::stall_progress)
        .def_rw("lm_tau", &Options::lm_tau)
        .def_rw("dls_epsilon", &Options::dls_epsilon)
        .def_rw("dls_max_damping", &Options::dls_max_damping)
        .def_rw("dls_error_scale", &Options::dls_error_scale)
        .def_rw("max_step", &Options::max_step)
        .def_rw("timeout", &Options::timeout)
        .def_rw("history", &Options::history)
        .def_rw("spread0", &Options::spread0)
        .def_rw("spread1", &Options::spread1)
        .def_rw("polish", &Options::polish)
        .def_rw("collide", &Options::collide)
        .def_rw("d0", &Options::d0)
        .def_rw("clearance", &Options::clearance);

    m.def(
        "solve",
        [](const Model& model, const Tasks& tasks, const Options& opts, In<double> T, In<double> q0, uint64_t key,
           uint64_t index, Out<double> out_q, std::optional<Out<double>> hist, const Analytic* closed) {
            const int64_t nq = model.tree.nq;
            check_single(model, tasks, T, q0, out_q);
            if (hist) expect(*hist, "hist", {-1, nq});
            need_closed(closed, model, tasks);
            Workspace& ws = thread_workspace();
            Result r;
            {
                nb::gil_scoped_release release;
                r = solve_one(model, tasks, opts, T.data(), q0.data(), key, index, ws, out_q.data(), closed);
            }
            int n_hist = 0;
            if (opts.history && hist) {
                n_hist = std::min<int>(ws.hist_n[1], static_cast<int>(hist->shape(0)));
                std::copy(ws.hist[1].begin(), ws.hist[1].begin() + static_cast<size_t>(n_hist) * nq, hist->data());
            }
            return nb::make_tuple(r.position_error, r.rotation_error, r.cost, r.min_distance, r.iterations, r.restarts,
                                  r.reason, n_hist);
        },
        "model"_a, "tasks"_a, "options"_a, "T"_a, "q0"_a, "key"_a, "index"_a, "out_q"_a.noconvert(),
        "hist"_a.noconvert() = nb::none(), "closed"_a = nb::none(),
        "Solve one problem: targets T (nt, 4, 4) (one task: also (4, 4)) from q0 (nq,) (clipped into the "
        "limits), restarts from stream (key, index); the answer into out_q, the returned attempt's iterates into hist (H, nq) when recording. "
        "closed: an Analytic of the one full-pose task, whose solution nearest q0 replaces a start that does not solve the task. "
        "Returns (position error, rotation error, cost, smallest sphere distance, iterations, restarts, reason, history rows).");

    m.def(
        "solve_batch",
        [](const Model& model, const Tasks& tasks, const Options& opts, In<double> Ts, In<double> Q0,
           In<uint64_t> seeds, Out<double> out_q, Out<double> out_f, Out<int64_t> out_i, int threads,
           const Analytic* closed) {
            const int64_t B = check_batch(model, tasks, Ts, Q0, seeds, out_q, out_f, out_i, 3, threads);
            need_closed(closed, model, tasks);
            nb::gil_scoped_release release;
            solve_batch(model, tasks, opts, Ts.data(), Q0.data(), seeds.data(), static_cast<int>(B), out_q.data(),
                        out_f.data(), out_i.data(), threads, closed);
        },
        "model"_a, "tasks"_a, "options"_a, "Ts"_a, "Q0"_a, "seeds"_a, "out_q"_a.noconvert(), "out_f"_a.noconvert(),
        "out_i"_a.noconvert(), "threads"_a = 1, "closed"_a = nb::none(),
        "Solve B problems on `threads` threads: out_q (B, nq), out_f (B, 4) [position error, rotation error, "
        "cost, smallest sphere distance], out_i (B, 3) [iterations, restarts, reason]; closed: as for solve.");

    nb::class_<Analytic>(m, "Analytic",
                         "A chain in a family with a closed form (or a 1-D search): every IK solution of a target.")
        .def("__init__",
             [](Analytic* self, const Model& model, const Tasks& tasks, int family, int placement, bool reversed,
                int searched, int samples, In<double> h, In<double> o, In<int64_t> iq, In<int64_t> iv,
                In<int64_t> continuous, In<int64_t> fixed, In<double> T0) {
                 new (self) Analytic(make_analytic(model, tasks, family, placement, reversed, searched, samples, h, o,
                                                   iq, iv, continuous, fixed, T0));
             },
             "model"_a, "tasks"_a, "family"_a, "placement"_a, "reversed"_a, "searched"_a, "samples"_a, "h"_a, "o"_a,
             "iq"_a, "iv"_a, "continuous"_a, "fixed"_a, "T0"_a)
        .def_rw("tolerance", &Analytic::tolerance)
        .def_rw("newton_steps", &Analytic::newton_steps)
        .def_rw("all_equivalents", &Analytic::all_equivalents)
        .def_rw("same", &Analytic::same)
        .def_rw("slack", &Analytic::slack)
        .def_prop_ro("capacity", &Analytic::capacity)
        .def_prop_ro("nq", [](const Analytic& a) { return a.tree.nq; });

    m.def(
        "solve_all",
        [](const Analytic& a, In<double> T, In<double> q0, Out<double> out) {
            const int64_t nq = a.tree.nq;
            expect(T, "T", {4, 4});
            expect(q0, "q0", {nq});
            expect(out, "out", {a.capacity(), nq + 3});
            AllResult r;
            {
                nb::gil_scoped_release release;
                r = solve_all(a, T.data(), q0.data(), thread_analytic_work(), out.data());
            }
            return nb::make_tuple(r.count, r.reason, r.singular, r.candidates, r.outside_limits, r.not_converged);
        },
        "analytic"_a, "T"_a, "q0"_a, "out"_a.noconvert(),
        "Every solution for T = T_base_frame (4, 4) from q0 (nq,) into out (capacity, nq + 3) [q, position error, "
        "rotation error, branch], sorted by the distance to q0. Returns (count, reason, singular, candidates, "
        "outside limits, not converged); reason -1: an invalid target, -2: an invalid start.");

    nb::class_<PoseDoor>(m, "PoseDoor",
                         "IKSolver's plain pose solve in one call (a fast door: None for any input it does not take "
                         "as it is).")
        .def("__init__",
             [](PoseDoor* self, nb::object model, nb::object tasks, nb::object options, nb::object closed,
                nb::object mid, uint64_t key, uint64_t index, nb::type_object result_cls, nb::tuple reasons) {
                 PoseDoor d;  // checked whole, then moved into place (a refusal leaves nothing half-made)
                 d.model = bound<Model>(model, "a Model");
                 d.tasks = bound<Tasks>(tasks, "a Tasks");
                 d.opts = bound<Options>(options, "an Options");
                 d.closed = closed.is_none() ? nullptr : bound<Analytic>(closed, "an Analytic or None");
                 need_rows(*d.tasks, *d.model);
                 if (d.tasks->tasks.size() != 1) fail("kinejac core: a pose door solves one task");
                 need_closed(d.closed, *d.model, *d.tasks);
                 d.set(d.model->tree.nq, mid, result_cls, reasons);
                 d.model_ref = model, d.tasks_ref = tasks, d.opts_ref = options, d.closed_ref = closed;
                 d.key = key, d.index = index;
                 new (self) PoseDoor(std::move(d));
             },
             "model"_a, "tasks"_a, "options"_a, "closed"_a.none(), "mid"_a, "key"_a, "index"_a, "result_cls"_a,
             "reasons"_a,
             "The solve of `tasks` (one full-pose task) on `model` with `options` (read at each call), restarts from "
             "stream (key, index), the closed form `closed` (or None) and the default start `mid` (nq,); results "
             "are `result_cls` records (IKResult's fields) with reason reasons[code].")
        .def(
            "solve", [](const PoseDoor& d, nb::handle target, nb::handle q0) { return d.call(target, q0); },
            "target"_a.none(), "q0"_a.none(),
            "The result for target (4, 4) from q0 (nq,) (None: mid), or None when the door does not take them.");

    nb::class_<AllDoor>(m, "AllDoor",
                        "AnalyticIK.solve of a pose in one call (a fast door: None for any input it does not take "
                        "as it is).")
        .def("__init__",
             [](AllDoor* self, nb::object analytic, nb::object mid, nb::type_object result_cls, nb::tuple reasons,
                nb::object structure) {
                 AllDoor d;
                 d.analytic = bound<Analytic>(analytic, "an Analytic");
                 d.set(d.analytic->tree.nq, mid, result_cls, reasons);
                 d.analytic_ref = analytic, d.structure = structure;
                 new (self) AllDoor(std::move(d));
             },
             "analytic"_a, "mid"_a, "result_cls"_a, "reasons"_a, "structure"_a,
             "Every solution by `analytic` from the default start `mid` (nq,); results are `result_cls` records "
             "(IKSolutions' fields: rows (k, nq + 3), reason reasons[code], ..., `structure`).")
        .def(
            "solve", [](const AllDoor& d, nb::handle target, nb::handle q0) { return d.call(target, q0); },
            "target"_a.none(), "q0"_a.none(),
            "The solutions of target (4, 4) from q0 (nq,) (None: mid), or None when the door does not take them.");

    m.def(
        "solve_all_batch",
        [](const Analytic& a, In<double> Ts, In<double> Q0, Out<double> out, Out<int64_t> info, int threads) {
            const int64_t nq = a.tree.nq;
            expect(Ts, "Ts", {-1, 4, 4});
            const int64_t B = static_cast<int64_t>(Ts.shape(0));
            if (Q0.ndim() == 1)
                expect(Q0, "Q0", {nq});  // one start for every target
            else
                expect(Q0, "Q0", {B, nq});
            expect(out, "out", {B, a.capacity(), nq + 3});
            expect(info, "info", {B, 6});
            nb::gil_scoped_release release;
            solve_all_batch(a, Ts.data(), Q0.data(), Q0.ndim() == 1 ? 0 : static_cast<int>(nq), static_cast<int>(B),
                            out.data(), info.data(), std::max(threads, 1));
        },
        "analytic"_a, "Ts"_a, "Q0"_a, "out"_a.noconvert(), "info"_a.noconvert(), "threads"_a = 1,
        "solve_all on B targets Ts (B, 4, 4) from Q0 (B, nq) (or one start (nq,) for all) on `threads` threads: "
        "out (B, capacity, nq + 3) (NaN past each count, with branch -1), info (B, 6) [count, reason, singular, candidates, outside limits, not converged].");

    m.def(
        "frames",
        [](const Model& model, In<double> Q, int frame, In<double> point, int reference, Out<double> out_T,
           std::optional<Out<double>> out_J, int threads) {
            const int64_t nq = model.tree.nq, nv = model.tree.nv;
            expect(Q, "Q", {-1, nq});
            const int64_t B = static_cast<int64_t>(Q.shape(0));
            expect(point, "point", {3});
            expect(out_T, "out_T", {B, 4, 4});
            if (out_J) expect(*out_J, "out_J", {B, 6, nv});
            in_range(frame, 0, static_cast<int64_t>(model.tree.frames.size()), "the frame id");
            in_range(reference, WORLD, LOCAL_WORLD_ALIGNED + 1, "the reference");
            const std::vector<int> path = model.tree.support({frame});
            double* J = out_J ? out_J->data() : nullptr;
            nb::gil_scoped_release release;
            parallel_chunks(static_cast<int>(B), std::max(threads, 1), 256, [&](int a, int b, int) {
                frame_range(model.tree, Q.data(), path, frame, point.data(), reference, a, b, out_T.data(), J);
            });
        },
        "model"_a, "Q"_a, "frame"_a, "point"_a, "reference"_a, "out_T"_a.noconvert(),
        "out_J"_a.noconvert() = nb::none(), "threads"_a = 1,
        "Poses (B, 4, 4) of `frame` at Q (B, nq), shifted to `point` (frame coordinates [m]), and its "
        "Jacobians (B, 6, nv) in `reference` (pinocchio's enum value) when out_J is given.");

    m.def(
        "evaluate",
        [](const Model& model, const Tasks& tasks, In<double> T, In<double> q, Out<double> e, Out<double> J) {
            expect(T, "T", {static_cast<int64_t>(tasks.tasks.size()), 4, 4});
            expect(q, "q", {model.tree.nq});
            expect(e, "e", {tasks.rows});
            expect(J, "J", {tasks.rows, model.tree.nv});
            need_rows(tasks, model);
            Scratch s(model.tree);
            const PoseErrors r = evaluate(model.tree, tasks, T.data(), q.data(), s, e.data(), J.data());
            return nb::make_tuple(r.position, r.rotation);
        },
        "model"_a, "tasks"_a, "T"_a, "q"_a, "e"_a.noconvert(), "J"_a.noconvert(),
        "The weighted error e (m,) and its Jacobian J (m, nv) at q; returns (position error [m], rotation "
        "error [rad]).");

    m.def(
        "step",
        [](const Model& model, In<double> q, In<double> delta, Out<double> out, Out<double> taken) {
            expect(q, "q", {model.tree.nq});
            expect(delta, "delta", {model.tree.nv});
            expect(out, "out", {model.tree.nq});
            expect(taken, "taken", {model.tree.nv});
            std::copy(delta.data(), delta.data() + model.tree.nv, taken.data());
            integrate(model.tree, q.data(), delta.data(), out.data());
            return project(model.tree, out.data(), taken.data());
        },
        "model"_a, "q"_a, "delta"_a, "out"_a.noconvert(), "taken"_a.noconvert(),
        "out = q ⊕ delta projected into the limits, taken the tangent step taken; whether a joint was clamped.");

    // -- the core's parts, for the tests that hold them to pinocchio and LAPACK --------------------
    m.def("integrate", [](const Model& model, In<double> q, In<double> d, Out<double> out) {
        expect(q, "q", {model.tree.nq});
        expect(d, "d", {model.tree.nv});
        expect(out, "out", {model.tree.nq});
        integrate(model.tree, q.data(), d.data(), out.data());
    }, "model"_a, "q"_a, "d"_a, "out"_a.noconvert());
    m.def("project", [](const Model& model, Out<double> q, Out<double> taken) {
        expect(q, "q", {model.tree.nq});
        expect(taken, "taken", {model.tree.nv});
        return project(model.tree, q.data(), taken.data());
    }, "model"_a, "q"_a.noconvert(), "taken"_a.noconvert());
    m.def("blocked", [](const Model& model, In<double> q, In<double> grad, Out<bool> mask) {
        expect(q, "q", {model.tree.nq});
        expect(grad, "grad", {model.tree.nv});
        expect(mask, "mask", {model.tree.nv});
        return blocked(model.tree, q.data(), grad.data(), mask.data());
    }, "model"_a, "q"_a, "grad"_a, "mask"_a.noconvert());
    m.def("nearest_to_seed", [](const Model& model, Out<double> q, In<double> seed) {
        expect(q, "q", {model.tree.nq});
        expect(seed, "seed", {model.tree.nq});
        nearest_to_seed(model.tree, q.data(), seed.data());
    }, "model"_a, "q"_a.noconvert(), "seed"_a);
    m.def("random_configuration", [](const Model& model, double spread, Out<uint64_t> state, Out<double> q) {
        expect(state, "state", {1});
        expect(q, "q", {model.tree.nq});
        random_configuration(model.tree, spread, *state.data(), q.data());
    }, "model"_a, "spread"_a, "state"_a.noconvert(), "q"_a.noconvert());
    m.def("seed_state", &seed_state, "key"_a, "index"_a);
    m.def("uniform", [](Out<uint64_t> state) {
        expect(state, "state", {1});
        return uniform(*state.data());
    }, "state"_a.noconvert());
    m.def("sincos", [](In<double> x, Out<double> s, Out<double> c) {
        expect(s, "s", {static_cast<int64_t>(x.size())});
        expect(c, "c", {static_cast<int64_t>(x.size())});
        for (size_t i = 0; i < x.size(); ++i) sincos(x.data()[i], s.data()[i], c.data()[i]);
    }, "x"_a, "s"_a.noconvert(), "c"_a.noconvert());
    m.def("atan2", [](In<double> y, In<double> x, Out<double> out) {
        expect(x, "x", {static_cast<int64_t>(y.size())});
        expect(out, "out", {static_cast<int64_t>(y.size())});
        for (size_t i = 0; i < y.size(); ++i) out.data()[i] = fast_atan2(y.data()[i], x.data()[i]);
    }, "y"_a, "x"_a, "out"_a.noconvert());
    m.def("log3", [](In<double> R, Out<double> w) {
        expect(R, "R", {3, 3});
        expect(w, "w", {3});
        return log3(R.data(), w.data());
    }, "R"_a, "w"_a.noconvert());
    m.def("jlog3", [](In<double> w, double t, Out<double> A) {
        expect(w, "w", {3});
        expect(A, "A", {3, 3});
        jlog3(w.data(), t, A.data());
    }, "w"_a, "t"_a, "A"_a.noconvert());
    m.def("log6_jlog6", [](In<double> R, In<double> p, Out<double> e, Out<double> A, Out<double> C) {
        expect(R, "R", {3, 3});
        expect(p, "p", {3});
        expect(e, "e", {6});
        expect(A, "A", {3, 3});
        expect(C, "C", {3, 3});
        return log6_jlog6(R.data(), p.data(), e.data(), A.data(), C.data());
    }, "R"_a, "p"_a, "e"_a.noconvert(), "A"_a.noconvert(), "C"_a.noconvert());
    m.def("exp3_left", [](In<double> w, In<double> v, Out<double> out) {
        expect(w, "w", {3});
        expect(v, "v", {3});
        expect(out, "out", {3});
        exp3_left(w.data()[0], w.data()[1], w.data()[2], v.data()[0], v.data()[1], v.data()[2], out.data());
    }, "w"_a, "v"_a, "out"_a.noconvert());
    m.def("quat_to_rot", [](double x, double y, double z, double w, Out<double> R) {
        expect(R, "R", {3, 3});
        quat_to_rot(x, y, z, w, R.data());
    }, "x"_a, "y"_a, "z"_a, "w"_a, "R"_a.noconvert());
    m.def("damped_step", [](In<double> J, In<double> e, int m, double lam, Out<double> delta, In<double> H,
                            In<double> b, bool extra) {
        expect(J, "J", {-1, -1});
        const int n = static_cast<int>(J.shape(1));
        in_range(m, 0, static_cast<int64_t>(J.shape(0)) + 1, "m");
        expect(e, "e", {-1});
        if (e.shape(0) < static_cast<size_t>(m)) fail("kinejac core: e is shorter than m");
        expect(delta, "delta", {n});
        expect(H, "H", {n, n});
        expect(b, "b", {n});
        LinearWork work;
        work.resize(std::max({m, n, 1}));
        damped_step(J.data(), e.data(), m, n, lam, work, delta.data(), H.data(), b.data(), extra);
    }, "J"_a, "e"_a, "m"_a, "lam"_a, "delta"_a.noconvert(), "H"_a, "b"_a, "extra"_a);
    m.def("sd_obstacle", [](In<double> c, double r, int kind, In<double> T, In<double> size, Out<double> n) {
        expect(c, "c", {3});
        expect(T, "T", {4, 4});
        expect(size, "size", {3});
        expect(n, "n", {3});
        in_range(kind, OBSTACLE_SPHERE, OBSTACLE_CYLINDER + 1, "the obstacle kind");
        return sd_obstacle(c.data(), r, kind, T.data(), size.data(), n.data());
    }, "c"_a, "r"_a, "kind"_a, "T"_a, "size"_a, "n"_a.noconvert());
    m.def("penalty", [](const Model& model, In<double> q, double d0, Out<double> H, Out<double> b) {
        const int nv = model.tree.nv;
        expect(q, "q", {model.tree.nq});
        expect(H, "H", {nv, nv});
        expect(b, "b", {nv});
        std::vector<int> joints(model.spheres.joint.begin(), model.spheres.joint.end());
        const std::vector<int> path = model.tree.support({}, joints);
        Placements pl(model.tree.njoints());
        forward(model.tree, q.data(), path.data(), static_cast<int>(path.size()), pl);
        PenaltyWork work;
        work.resize(model.spheres.spheres(), nv);
        const Penalty p = penalty(model.tree, model.spheres, d0, pl, work, H.data(), b.data());
        return nb::make_tuple(p.value, p.min_distance);
    }, "model"_a, "q"_a, "d0"_a, "H"_a.noconvert(), "b"_a.noconvert(),
       "The sphere penalty at q [m²] and the smallest signed distance [m]; its Gauss-Newton terms into H, b.");
    m.def("obstacle_distances", [](const Model& model, In<double> C, Out<double> d, Out<double> N) {
        const int64_t Q = static_cast<int64_t>(model.spheres.obstacle_pairs.size());
        expect(C, "C", {model.spheres.spheres(), 3});
        expect(d, "d", {Q});
        expect(N, "N", {Q, 3});
        obstacle_distances(model.spheres, C.data(), d.data(), N.data());
    }, "model"_a, "C"_a, "d"_a.noconvert(), "N"_a.noconvert(),
       "Signed distances d (Q,) [m] of the sphere-obstacle pairs and their normals N (Q, 3), for world "
       "sphere centres C (S, 3).");
    bind_collision(m);
}

// -- the collision world (collision.hpp, gjk.hpp) and collision-free IK (free_ik.hpp) ------------
namespace {

struct World {
    CollisionWorld world;
    int nq = 0;  // of the tree it was built for
};

World make_world(const Model& model, In<int64_t> gj, In<double> gT, In<int64_t> gk, In<double> gsize,
                 In<int64_t> gpieces, In<int64_t> ginner, In<int64_t> gspheres, In<double> gbound, In<int64_t> prange,
                 In<double> pbound, In<int64_t> pplanes, In<double> planes, In<double> verts, In<double> sc,
                 In<double> sr, In<int64_t> pairs) {
    expect(gj, "geom_joint", {-1});
    const int64_t G = static_cast<int64_t>(gj.shape(0));
    expect(gT, "geom_pose", {G, 4, 4});
    expect(gk, "geom_kind", {G});
    expect(gsize, "geom_size", {G, 3});
    expect(gpieces, "geom_pieces", {G, 2});
    expect(ginner, "geom_inner", {G});
    expect(gspheres, "geom_spheres", {G, 2});
    expect(gbound, "geom_bound", {G, 4});
    expect(prange, "piece_range", {-1, 2});
    const int64_t P = static_cast<int64_t>(prange.shape(0));
    expect(pbound, "piece_bound", {P, 4});
    expect(pplanes, "piece_planes", {P, 2});
    expect(planes, "planes", {-1, 4});
    const int64_t L = static_cast<int64_t>(planes.shape(0));
    expect(verts, "vertices", {-1, 3});
    const int64_t V = static_cast<int64_t>(verts.shape(0));
    expect(sc, "sphere_center", {-1, 3});
    const int64_t S = static_cast<int64_t>(sc.shape(0));
    expect(sr, "sphere_radius", {S});
    World out;
    CollisionWorld& w = out.world;
    out.nq = model.tree.nq;
    std::vector<int> joints;
    for (int64_t g = 0; g < G; ++g) {
        Geometry geo;
        in_range(gj.data()[g], 0, model.tree.njoints(), "a geometry's joint");
        in_range(gk.data()[g], SHAPE_SPHERE, SHAPE_CONVEX + 1, "a geometry's kind");
        geo.joint = static_cast<int>(gj.data()[g]);
        geo.kind = static_cast<int>(gk.data()[g]);
        const double* T = gT.data() + 16 * g;
        for (int a = 0; a < 3; ++a) {
            for (int b = 0; b < 3; ++b) geo.R[3 * a + b] = T[4 * a + b];
            geo.p[a] = T[4 * a + 3];
            geo.size[a] = gsize.data()[3 * g + a];
            geo.bound_center[a] = gbound.data()[4 * g + a];
        }
        geo.bound_radius = gbound.data()[4 * g + 3];
        const int64_t* pc = gpieces.data() + 2 * g;
        const int64_t* sp = gspheres.data() + 2 * g;
        in_range(pc[0], 0, P + 1, "a geometry's first piece");
        in_range(pc[1], pc[0], P + 1, "a geometry's piece end");
        in_range(sp[0], 0, S + 1, "a geometry's first sphere");
        in_range(sp[1], sp[0], S + 1, "a geometry's sphere end");
        if (geo.kind == SHAPE_CONVEX && pc[1] == pc[0]) fail("kinejac core: a mesh geometry needs pieces");
        geo.piece_begin = static_cast<int>(pc[0]);
        geo.piece_end = static_cast<int>(pc[1]);
        in_range(ginner.data()[g], -1, P, "a geometry's inner piece");
        geo.inner = static_cast<int>(ginner.data()[g]);
        geo.sphere_begin = static_cast<int>(sp[0]);
        geo.sphere_end = static_cast<int>(sp[1]);
        if (geo.joint > 0) joints.push_back(geo.joint);
        w.geoms.push_back(geo);
    }
    for (int64_t k = 0; k < P; ++k) {
        Piece pc;
        const int64_t* r = prange.data() + 2 * k;
        in_range(r[0], 0, V, "a piece's first vertex");
        in_range(r[1], 1, V - r[0] + 1, "a piece's vertex count");
        pc.begin = static_cast<int>(r[0]);
        pc.count = static_cast<int>(r[1]);
        std::copy(pbound.data() + 4 * k, pbound.data() + 4 * k + 3, pc.center);
        pc.radius = pbound.data()[4 * k + 3];
        const int64_t* pp = pplanes.data() + 2 * k;
        in_range(pp[0], 0, L + 1, "a piece's first plane");
        in_range(pp[1], 0, L - pp[0] + 1, "a piece's plane count");
        pc.plane_begin = static_cast<int>(pp[0]);
        pc.planes = static_cast<int>(pp[1]);
        w.pieces.push_back(pc);
    }
    w.vertices.assign(verts.data(), verts.data() + 3 * V);
    w.planes.assign(planes.data(), planes.data() + 4 * L);
    w.sphere_center.assign(sc.data(), sc.data() + 3 * S);
    w.sphere_radius.assign(sr.data(), sr.data() + S);
    w.pairs = pairs_of(pairs, "pairs", G, G);
    w.path = model.tree.support({}, joints);
    return out;
}

void need_world(const World& w, const Model& model) {
    if (w.nq != model.tree.nq) fail("kinejac core: this collision world was built for another robot");
}

}  // namespace

void bind_collision(nb::module_& m) {
    nb::class_<World>(m, "World", "A collision world: geometry, covering spheres and the pairs to check (collision.hpp).")
        .def("__init__",
             [](World* self, const Model& model, In<int64_t> gj, In<double> gT, In<int64_t> gk, In<double> gsize,
                In<int64_t> gpieces, In<int64_t> ginner, In<int64_t> gspheres, In<double> gbound, In<int64_t> prange,
                In<double> pbound, In<int64_t> pplanes, In<double> planes, In<double> verts, In<double> sc,
                In<double> sr, In<int64_t> pairs) {
                 new (self) World(make_world(model, gj, gT, gk, gsize, gpieces, ginner, gspheres, gbound, prange,
                                             pbound, pplanes, planes, verts, sc, sr, pairs));
             },
             "model"_a, "geom_joint"_a, "geom_pose"_a, "geom_kind"_a, "geom_size"_a, "geom_pieces"_a,
             "geom_inner"_a, "geom_spheres"_a, "geom_bound"_a, "piece_range"_a, "piece_bound"_a, "piece_planes"_a,
             "planes"_a, "vertices"_a, "sphere_center"_a,
             "sphere_radius"_a, "pairs"_a)
        .def_prop_ro("npairs", [](const World& w) { return static_cast<int>(w.world.pairs.size()); })
        .def_prop_ro("ngeoms", [](const World& w) { return w.world.ngeoms(); });

    m.def(
        "world_check",
        [](const Model& model, const World& world, In<double> Q, double clearance, Out<uint8_t> status, int threads) {
            need_world(world, model);
            expect(Q, "Q", {-1, model.tree.nq});
            const int64_t B = static_cast<int64_t>(Q.shape(0));
            expect(status, "status", {B});
            nb::gil_scoped_release release;
            std::vector<CollisionWork> work(std::max(1, threads));
            parallel_chunks(static_cast<int>(B), std::max(threads, 1), 64, [&](int a, int b, int worker) {
                check_range(model.tree, world.world, Q.data(), clearance, a, b, status.data(), work[worker]);
            });
        },
        "model"_a, "world"_a, "Q"_a, "clearance"_a, "status"_a.noconvert(), "threads"_a = 1,
        "The status of each configuration Q (B, nq) for `clearance` [m] into status (B,): 0 free, 1 in contact, "
        "2 unsure (a pair within a mesh's slack of the clearance).");
    m.def(
        "world_collide",
        [](const Model& model, const World& world, In<double> Q, Out<uint8_t> flags, int threads) {
            need_world(world, model);
            expect(Q, "Q", {-1, model.tree.nq});
            const int64_t B = static_cast<int64_t>(Q.shape(0));
            expect(flags, "flags", {B, static_cast<int64_t>(world.world.pairs.size())});
            nb::gil_scoped_release release;
            std::vector<CollisionWork> work(std::max(1, threads));
            parallel_chunks(static_cast<int>(B), std::max(threads, 1), 64, [&](int a, int b, int worker) {
                collide_range(model.tree, world.world, Q.data(), a, b, flags.data(), work[worker]);
            });
        },
        "model"_a, "world"_a, "Q"_a, "flags"_a.noconvert(), "threads"_a = 1,
        "The status of every pair at each configuration Q (B, nq): flags (B, K), 0 free, 1 in contact, 2 unsure.");
    m.def(
        "world_distances",
        [](const Model& model, const World& world, In<double> Q, bool nearest, Out<double> lower, Out<double> upper,
           Out<double> W, int threads) {
            need_world(world, model);
            expect(Q, "Q", {-1, model.tree.nq});
            const int64_t B = static_cast<int64_t>(Q.shape(0));
            const int64_t K = static_cast<int64_t>(world.world.pairs.size());
            expect(lower, "lower", {B, K});
            expect(upper, "upper", {B, K});
            expect(W, "W", {B, K, 2, 3});
            nb::gil_scoped_release release;
            std::vector<CollisionWork> work(std::max(1, threads));
            parallel_chunks(static_cast<int>(B), std::max(threads, 1), 32, [&](int a, int b, int worker) {
                distance_range(model.tree, world.world, Q.data(), a, b, nearest, lower.data(), upper.data(), W.data(),
                               work[worker]);
            });
        },
        "model"_a, "world"_a, "Q"_a, "nearest"_a, "lower"_a.noconvert(), "upper"_a.noconvert(), "W"_a.noconvert(),
        "threads"_a = 1,
        "Bounds [m] on every pair's distance at each configuration Q (B, nq), lower and upper (B, K) (-inf: in "
        "contact, depth unknown), equal where exact, with witness points W (B, K, 2, 3); with `nearest`, pairs "
        "that cannot be the nearest keep their bounding-sphere bound and upper = inf.");

    m.def(
        "solve_free",
        [](const Model& model, const Tasks& tasks, const Options& opts, const World& world, double clearance,
           int candidates, In<double> T, In<double> q0, uint64_t key, uint64_t index, Out<double> out_q,
           const Analytic* analytic, int sweeps) {
            need_world(world, model);
            check_single(model, tasks, T, q0, out_q);
            const FreeOptions free = free_options(model, tasks, clearance, candidates, analytic, sweeps);
            Workspace& ws = thread_workspace();
            thread_local FreeWork fw;
            FreeResult r;
            {
                nb::gil_scoped_release release;
                r = solve_free(model, tasks, opts, world.world, free, T.data(), q0.data(), key, index, ws, fw,
                               out_q.data());
            }
            return nb::make_tuple(r.result.position_error, r.result.rotation_error, r.result.cost,
                                  r.result.min_distance, r.result.iterations, r.result.restarts, r.result.reason,
                                  r.candidates);
        },
        "model"_a, "tasks"_a, "options"_a, "world"_a, "clearance"_a, "candidates"_a, "T"_a, "q0"_a, "key"_a,
        "index"_a, "out_q"_a.noconvert(), "analytic"_a.none() = nb::none(), "sweeps"_a = 64,
        "Solve one problem for an answer free in `world` with `clearance` [m] (free_ik.hpp), with candidates from "
        "the closed form `analytic` (its fixed joint at `sweeps` values) if given: the answer into out_q; "
        "returns (position error, rotation error, cost, smallest sphere distance, iterations, restarts, reason, "
        "candidates checked).");
    m.def(
        "solve_free_batch",
        [](const Model& model, const Tasks& tasks, const Options& opts, const World& world, double clearance,
           int candidates, In<double> Ts, In<double> Q0, In<uint64_t> seeds, Out<double> out_q, Out<double> out_f,
           Out<int64_t> out_i, int threads, const Analytic* analytic, int sweeps) {
            need_world(world, model);
            const int64_t B = check_batch(model, tasks, Ts, Q0, seeds, out_q, out_f, out_i, 4, threads);
            const FreeOptions free = free_options(model, tasks, clearance, candidates, analytic, sweeps);
            nb::gil_scoped_release release;
            solve_free_batch(model, tasks, opts, world.world, free, Ts.data(),
                             Q0.data(), seeds.data(), static_cast<int>(B), out_q.data(), out_f.data(), out_i.data(),
                             threads);
        },
        "model"_a, "tasks"_a, "options"_a, "world"_a, "clearance"_a, "candidates"_a, "Ts"_a, "Q0"_a, "seeds"_a,
        "out_q"_a.noconvert(), "out_f"_a.noconvert(), "out_i"_a.noconvert(), "threads"_a = 1,
        "analytic"_a.none() = nb::none(), "sweeps"_a = 64,
        "Solve B problems for free answers on `threads` threads (as solve_free): out_q (B, nq), out_f (B, 4), out_i (B, 4) "
        "[iterations, restarts, reason, candidates checked].");
}
