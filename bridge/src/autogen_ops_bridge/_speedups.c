/* The bridge's per-message path in C: what an error storm runs for every message and every failed handler,
 * which in Python cost the application more than the exact figures need. Optional: built when the bridge
 * is installed with a C compiler at hand (bridge/setup.py); without it, or with AUTOGEN_OPS_BRIDGE_NO_C=1
 * (_accel.py), the Python code runs. Each entry here has a Python twin, and hands every case it does not
 * take to it: the test suite runs on this code and its hot-path tests again on the Python one
 * (make test-py); tests/test_speedups.py compares the signature keys one by one.
 *
 * signature_key(exc, skip_first_frame=False) -> int
 *     error_capture.signature_key_py's walk: per exception of the chain (cause, else context unless
 *     suppressed, at most MAX_CHAIN), its type, each traceback frame's instruction offset and the innermost
 *     frame's code object id, ended early by a chained exception's noted key; an exception group's member
 *     types first. The same tuple is built and hashed, so the key equals the Python one. The key is noted
 *     on ``exc`` (where it has a __dict__), and a noted key is returned at once.
 * gate_enter(gate, agent_id, recipient, original, message, ctx)   gate.AgentGate._enter's usual case
 * gate_finish(gate, hop, exc)                                     gate.AgentGate.finish's usual cases
 * event_hook(collector, msg, *args, **kwargs)                     collector.EventCollector._capture_event
 *
 * Configured once, in import order: configure (error_capture), configure_fields and configure_gate (gate),
 * configure_events (collector), with the Python objects and constants they share, so none is written twice.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>
#include <structmember.h>

#if PY_VERSION_HEX >= 0x030D0000
#define PyUnicode_EqualToUTF8Compat PyUnicode_EqualToUTF8
#else
static int
PyUnicode_EqualToUTF8Compat(PyObject *text, const char *utf8)
{
    return PyUnicode_CompareWithASCIIString(text, utf8) == 0;
}
#endif

static PyObject *signature_attribute = NULL; /* str */
static PyObject *group_types = NULL;         /* tuple of types */
static Py_ssize_t max_chain = 16;

/* The noted key on ``exc``, as a new reference, or NULL (none, or not an int) with no error set. */
static PyObject *
noted_key(PyObject *exc)
{
    PyObject *memo = NULL;
#if PY_VERSION_HEX >= 0x030D0000
    int found = PyObject_GetOptionalAttr(exc, signature_attribute, &memo);
#else
    int found = _PyObject_LookupAttr(exc, signature_attribute, &memo);
#endif
    if (found < 0) { /* a failing __getattr__: as getattr(exc, name, None) would not swallow it, but the
                        walk must not fail the application's delivery for it */
        PyErr_Clear();
        return NULL;
    }
    if (memo != NULL && !PyLong_CheckExact(memo)) {
        Py_DECREF(memo);
        return NULL;
    }
    return memo;
}

/* Appends ``item`` (stolen) to ``parts``; -1 on error. */
static int
append_stolen(PyObject *parts, PyObject *item)
{
    if (item == NULL) {
        return -1;
    }
    int rc = PyList_Append(parts, item);
    Py_DECREF(item);
    return rc;
}

static PyObject *
signature_key(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "signature_key(exc, skip_first_frame=False)");
        return NULL;
    }
    PyObject *exc = args[0];
    if (!PyExceptionInstance_Check(exc)) {
        PyErr_SetString(PyExc_TypeError, "signature_key() needs an exception");
        return NULL;
    }
    if (signature_attribute == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "autogen_ops_bridge._speedups is not configured");
        return NULL;
    }
    int skip_first_frame = 0;
    if (nargs == 2 && (skip_first_frame = PyObject_IsTrue(args[1])) < 0) {
        return NULL;
    }
    PyObject *memo = noted_key(exc);
    if (memo != NULL) {
        return memo;
    }

    PyObject *parts = PyList_New(0);
    if (parts == NULL) {
        return NULL;
    }
    PyObject *current = Py_NewRef(exc);
    PyObject *tb = PyException_GetTraceback(exc); /* new reference or NULL */
    if (skip_first_frame && tb != NULL && ((PyTracebackObject *)tb)->tb_next != NULL) {
        Py_SETREF(tb, Py_NewRef((PyObject *)((PyTracebackObject *)tb)->tb_next));
    }
    if (group_types != NULL && PyTuple_GET_SIZE(group_types) > 0) {
        int is_group = PyObject_IsInstance(exc, group_types);
        if (is_group < 0) {
            goto error;
        }
        if (is_group) {
            PyObject *members = PyObject_GetAttrString(exc, "exceptions");
            if (members == NULL) {
                goto error;
            }
            PyObject *slice = PySequence_GetSlice(members, 0, max_chain);
            Py_DECREF(members);
            if (slice == NULL) {
                goto error;
            }
            PyObject *first = PySequence_Tuple(slice);
            Py_DECREF(slice);
            if (first == NULL) {
                goto error;
            }
            Py_ssize_t n = PyTuple_GET_SIZE(first);
            for (Py_ssize_t i = 0; i < n; i++) {
                if (PyList_Append(parts, (PyObject *)Py_TYPE(PyTuple_GET_ITEM(first, i))) < 0) {
                    Py_DECREF(first);
                    goto error;
                }
            }
            Py_DECREF(first);
        }
    }
    for (Py_ssize_t slot = 0; slot < max_chain; slot++) {
        if (PyList_Append(parts, (PyObject *)Py_TYPE(current)) < 0) {
            goto error;
        }
        if (tb != NULL) {
            PyTracebackObject *frame_tb = (PyTracebackObject *)tb;
            while (frame_tb->tb_next != NULL) {
                if (append_stolen(parts, PyLong_FromLong(frame_tb->tb_lasti)) < 0) {
                    goto error;
                }
                frame_tb = frame_tb->tb_next;
            }
            if (append_stolen(parts, PyLong_FromLong(frame_tb->tb_lasti)) < 0) {
                goto error;
            }
            PyCodeObject *code = PyFrame_GetCode(frame_tb->tb_frame); /* new reference */
            int rc = append_stolen(parts, PyLong_FromVoidPtr(code));
            Py_DECREF(code);
            if (rc < 0) {
                goto error;
            }
        }
        PyObject *chained = PyException_GetCause(current);
        if (chained == NULL && !((PyBaseExceptionObject *)current)->suppress_context) {
            chained = PyException_GetContext(current);
        }
        if (chained == NULL) {
            break;
        }
        memo = noted_key(chained);
        if (memo != NULL) {
            Py_DECREF(chained);
            if (append_stolen(parts, memo) < 0) {
                goto error;
            }
            break;
        }
        Py_SETREF(current, chained);
        Py_XSETREF(tb, PyException_GetTraceback(chained));
    }
    Py_CLEAR(current);
    Py_CLEAR(tb);

    PyObject *items = PyList_AsTuple(parts);
    Py_DECREF(parts);
    if (items == NULL) {
        return NULL;
    }
    Py_hash_t hash = PyObject_Hash(items);
    Py_DECREF(items);
    if (hash == -1 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *key = PyLong_FromSsize_t(hash);
    if (key == NULL) {
        return NULL;
    }
    if (PyObject_SetAttr(exc, signature_attribute, key) < 0) { /* no __dict__: its callers walk it again */
        PyErr_Clear();
    }
    return key;

error:
    Py_XDECREF(current);
    Py_XDECREF(tb);
    Py_DECREF(parts);
    return NULL;
}

static PyObject *
configure(PyObject *module, PyObject *args)
{
    PyObject *attribute, *groups;
    Py_ssize_t chain;
    if (!PyArg_ParseTuple(args, "UO!n", &attribute, &PyTuple_Type, &groups, &chain)) {
        return NULL;
    }
    if (chain < 1) {
        PyErr_SetString(PyExc_ValueError, "max_chain must be at least 1");
        return NULL;
    }
    Py_INCREF(attribute);
    Py_XSETREF(signature_attribute, attribute);
    Py_INCREF(groups);
    Py_XSETREF(group_types, groups);
    max_chain = chain;
    Py_RETURN_NONE;
}


/* --- the gate's entry (gate.AgentGate._enter) --------------------------------------------------------------
 *
 * gate_enter(gate, agent_id, recipient, original, message, ctx): the agent's on_message (a partial of it per
 * agent instance). The usual case of an error storm — an RPC called by the runtime's _process_send, to an
 * agent under no control, whose message the log does not link — is done here: the unlinked hop's record
 * made whole (its fields set through the class's own slot descriptors, as its __init__ would), CURRENT
 * set, the in-flight counts and peak, the message type noted, the handler's own coroutine returned. Every
 * other case calls AgentGate._enter, which tests the same conditions and takes the other paths. */

static PyObject *enter_py = NULL;        /* AgentGate._enter */
static PyTypeObject *record_type = NULL; /* MessageRecord */
static PyObject *current_var = NULL;     /* message_log.CURRENT */
static PyObject *process_send_code = NULL;
static PyObject *perf_counter = NULL;    /* time.perf_counter */
static PyObject *wall_offset = NULL;     /* gate.WALL_OFFSET (a float) */
static PyObject *empty_tuple = NULL;
static PyObject *str_send = NULL, *str_pending = NULL;

#define RECORD_FIELDS 16
static Py_ssize_t record_offsets[RECORD_FIELDS]; /* its fields' slot offsets, in __init__'s order */
static const char *const record_field_names[RECORD_FIELDS] = {
    "message_id", "sender", "recipient", "message_type", "kind", "started_at", "parent_id", "trace_id",
    "dispatched_at", "handler_started_at", "finished_at", "outcome", "error", "gate", "perf_started", "linked",
};
static PyObject *n_name;

/* --- fields of the bridge's objects, read and written from C ---------------------------------------------
 * Each field names its owner class and attribute. Where the class keeps it in a slot (``__slots__``), its
 * offset is taken once (configure_fields) and an object of exactly that class is read and written there,
 * as the slot's own descriptor would; anything else (another class, a field not in a slot, an unset slot)
 * goes through the ordinary attribute protocol. */
typedef struct {
    const char *owner;
    const char *name;
    PyObject *interned;
    PyTypeObject *type;
    Py_ssize_t offset; /* -1: no slot */
} Field;

enum {
    GATE_LIMITER, GATE_SHARED, GATE_STAND_IN, GATE_DEGRADED, GATE_ISOLATION, GATE_LOG, GATE_STATS, GATE_ERRORS,
    GATE_SOFT_ERRORS, LIMITER_LIMIT, LIMITER_WAITERS, LIMITER_INFLIGHT, SHARED_EVENTS_FINISH, SHARED_LIMITER,
    STATS_INFLIGHT, STATS_PEAK_INFLIGHT, STATS_MESSAGE_TYPES, STATS_ENDED, STATS_ENDED_ERRORS, HOP_GATE, HOP_ERROR,
    HOP_PERF_STARTED, HOP_MESSAGE_TYPE, HOP_RECIPIENT, HOP_MESSAGE_ID, HOP_LINKED, HOP_OUTCOME, HOP_FINISHED_AT,
    HANDOFF_HOP, HANDOFF_GROUP, BUDGET_CLOSED, BUDGET_SECOND, BUDGET_PENDING, CTX_IS_RPC, CTX_SENDER, CTX_MESSAGE_ID,
    LOG_LINKED_IDS, GROUP_EXCEPTION_TYPE, GROUP_MESSAGE, GROUP_LAST_SAMPLED, COLLECTOR_ROUTINE_BUDGET,
    COLLECTOR_FAILURE_SINK, EVENT_KWARGS, FIELD_COUNT
};

static Field fields[FIELD_COUNT] = {
    [GATE_LIMITER] = {"AgentGate", "limiter"}, [GATE_SHARED] = {"AgentGate", "_shared"},
    [GATE_STAND_IN] = {"AgentGate", "stand_in"}, [GATE_DEGRADED] = {"AgentGate", "degraded"},
    [GATE_ISOLATION] = {"AgentGate", "isolation"}, [GATE_LOG] = {"AgentGate", "_log"},
    [GATE_STATS] = {"AgentGate", "stats"}, [GATE_ERRORS] = {"AgentGate", "errors"},
    [GATE_SOFT_ERRORS] = {"AgentGate", "_soft_errors"},
    [LIMITER_LIMIT] = {"InflightLimiter", "limit"}, [LIMITER_WAITERS] = {"InflightLimiter", "waiters"},
    [LIMITER_INFLIGHT] = {"InflightLimiter", "inflight"},
    [SHARED_EVENTS_FINISH] = {"RuntimeShared", "events_finish"}, [SHARED_LIMITER] = {"RuntimeShared", "limiter"},
    [STATS_INFLIGHT] = {"AgentStats", "inflight"}, [STATS_PEAK_INFLIGHT] = {"AgentStats", "peak_inflight"},
    [STATS_MESSAGE_TYPES] = {"AgentStats", "message_types"}, [STATS_ENDED] = {"AgentStats", "ended"},
    [STATS_ENDED_ERRORS] = {"AgentStats", "ended_errors"},
    [HOP_GATE] = {"MessageRecord", "gate"}, [HOP_ERROR] = {"MessageRecord", "error"},
    [HOP_PERF_STARTED] = {"MessageRecord", "perf_started"}, [HOP_MESSAGE_TYPE] = {"MessageRecord", "message_type"},
    [HOP_RECIPIENT] = {"MessageRecord", "recipient"}, [HOP_MESSAGE_ID] = {"MessageRecord", "message_id"},
    [HOP_LINKED] = {"MessageRecord", "linked"}, [HOP_OUTCOME] = {"MessageRecord", "outcome"},
    [HOP_FINISHED_AT] = {"MessageRecord", "finished_at"},
    [HANDOFF_HOP] = {"Handoff", "hop"}, [HANDOFF_GROUP] = {"Handoff", "group"},
    [BUDGET_CLOSED] = {"ReceiverBudget", "closed"}, [BUDGET_SECOND] = {"ReceiverBudget", "second"},
    [BUDGET_PENDING] = {"ReceiverBudget", "pending"},
    [CTX_IS_RPC] = {"MessageContext", "is_rpc"}, [CTX_SENDER] = {"MessageContext", "sender"},
    [CTX_MESSAGE_ID] = {"MessageContext", "message_id"}, [LOG_LINKED_IDS] = {"MessageLog", "linked_ids"},
    [GROUP_EXCEPTION_TYPE] = {"ErrorGroup", "exception_type"}, [GROUP_MESSAGE] = {"ErrorGroup", "message"},
    [GROUP_LAST_SAMPLED] = {"ErrorGroup", "last_sampled"},
    [COLLECTOR_ROUTINE_BUDGET] = {"EventCollector", "_routine_budget"},
    [COLLECTOR_FAILURE_SINK] = {"EventCollector", "failure_sink"}, [EVENT_KWARGS] = {"MessageEvent", "kwargs"},
};

static int fields_ready = 0;

/* obj.<field>, a new reference (NULL with an error set). */
static inline PyObject *
get(PyObject *obj, int id)
{
    Field *f = &fields[id];
    if (f->offset >= 0 && Py_TYPE(obj) == f->type) {
        PyObject *value = *(PyObject **)((char *)obj + f->offset);
        if (value != NULL) {
            return Py_NewRef(value);
        }
    }
    return PyObject_GetAttr(obj, f->interned);
}

/* obj.<field> = value; 0, or -1 with an error set. */
static inline int
set(PyObject *obj, int id, PyObject *value)
{
    Field *f = &fields[id];
    if (f->offset >= 0 && Py_TYPE(obj) == f->type) {
        PyObject **slot = (PyObject **)((char *)obj + f->offset);
        PyObject *old = *slot;
        *slot = Py_NewRef(value);
        Py_XDECREF(old);
        return 0;
    }
    return PyObject_SetAttr(obj, f->interned, value);
}

/* 1 if obj.<field> is None, 0 if not, -1 on error. */
static int
attr_is_none(PyObject *obj, int id)
{
    PyObject *value = get(obj, id);
    if (value == NULL) {
        return -1;
    }
    int none = value == Py_None;
    Py_DECREF(value);
    return none;
}

/* The truth of obj.<field>, or -1 on error. */
static int
attr_true(PyObject *obj, int id)
{
    PyObject *value = get(obj, id);
    if (value == NULL) {
        return -1;
    }
    int truth = PyObject_IsTrue(value);
    Py_DECREF(value);
    return truth;
}

/* obj.<field> += delta, for an int field; the new value in *result. 0, or -1 with an error set. */
static int
add_to(PyObject *obj, int id, long delta, long *result)
{
    PyObject *value = get(obj, id);
    if (value == NULL) {
        return -1;
    }
    long n = PyLong_AsLong(value);
    Py_DECREF(value);
    if (n == -1 && PyErr_Occurred()) {
        return -1;
    }
    PyObject *next = PyLong_FromLong(n + delta);
    if (next == NULL) {
        return -1;
    }
    int rc = set(obj, id, next);
    Py_DECREF(next);
    if (result != NULL) {
        *result = n + delta;
    }
    return rc;
}

/* Takes the offsets of the fields whose owner ``classes`` (a dict: class name -> class) keeps them in slots. */
static PyObject *
configure_fields(PyObject *module, PyObject *classes)
{
    if (!PyDict_Check(classes)) {
        PyErr_SetString(PyExc_TypeError, "configure_fields(classes: dict[str, type])");
        return NULL;
    }
    for (int id = 0; id < FIELD_COUNT; id++) {
        Field *f = &fields[id];
        if (f->interned == NULL && (f->interned = PyUnicode_InternFromString(f->name)) == NULL) {
            return NULL;
        }
        PyObject *owner = PyDict_GetItemString(classes, f->owner); /* borrowed */
        Py_ssize_t offset = -1;
        if (owner != NULL && PyType_Check(owner)) {
            PyObject *descr = PyDict_GetItemWithError(((PyTypeObject *)owner)->tp_dict, f->interned);
            if (descr == NULL && PyErr_Occurred()) {
                return NULL;
            }
            if (descr != NULL && Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
                PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
                if (member->type == T_OBJECT_EX && !(member->flags & READONLY)) {
                    offset = member->offset;
                }
            }
        }
        Py_XSETREF(f->type, (PyTypeObject *)Py_XNewRef(offset >= 0 ? owner : NULL));
        f->offset = offset;
    }
    fields_ready = 1;
    Py_RETURN_NONE;
}

/* Which fields are read from their slot (for the tests): a dict "Owner.name" -> bool. */
static PyObject *
slot_fields(PyObject *module, PyObject *unused)
{
    PyObject *out = PyDict_New();
    if (out == NULL) {
        return NULL;
    }
    for (int id = 0; id < FIELD_COUNT; id++) {
        PyObject *key = PyUnicode_FromFormat("%s.%s", fields[id].owner, fields[id].name);
        if (key == NULL || PyDict_SetItem(out, key, fields[id].offset >= 0 ? Py_True : Py_False) < 0) {
            Py_XDECREF(key);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(key);
    }
    return out;
}

/* 1 when the fast path applies, 0 when AgentGate._enter must take the message, -1 on error. Tested in the
 * order of _enter's condition. */
static int
takes_fast_path(PyObject *gate, PyObject *limiter, PyObject *ctx)
{
    int t;
    if ((t = attr_true(ctx, CTX_IS_RPC)) <= 0) {
        return t;
    }
    PyObject *shared = get(gate, GATE_SHARED);
    if (shared == NULL) {
        return -1;
    }
    int result = 0;
    if ((t = attr_true(shared, SHARED_EVENTS_FINISH)) <= 0) { result = t; goto done; }
    if ((t = attr_is_none(gate, GATE_STAND_IN)) <= 0) { result = t; goto done; }
    if ((t = attr_true(gate, GATE_DEGRADED)) != 0) { result = t < 0 ? -1 : 0; goto done; }
    if ((t = attr_is_none(gate, GATE_ISOLATION)) <= 0) { result = t; goto done; }
    if ((t = attr_is_none(limiter, LIMITER_LIMIT)) <= 0) { result = t; goto done; }
    if ((t = attr_true(limiter, LIMITER_WAITERS)) != 0) { result = t < 0 ? -1 : 0; goto done; }
    if ((t = attr_is_none(ctx, CTX_SENDER)) < 0) { result = -1; goto done; }
    if (t) {
        PyObject *runtime_limiter = get(shared, SHARED_LIMITER);
        if (runtime_limiter == NULL) { result = -1; goto done; }
        t = attr_is_none(runtime_limiter, LIMITER_LIMIT);
        Py_DECREF(runtime_limiter);
        if (t <= 0) { result = t; goto done; }
    }
    /* called by the runtime's _process_send, not directly (the innermost Python frame is the caller's:
       this function and the partial before it are C) */
    PyFrameObject *caller = PyEval_GetFrame();
    if (caller == NULL) {
        goto done;
    }
    PyCodeObject *code = PyFrame_GetCode(caller);
    result = (PyObject *)code == process_send_code;
    Py_DECREF(code);
done:
    Py_DECREF(shared);
    return result;
}

static PyObject *
unlinked_record(PyObject *gate, PyObject *message_id, PyObject *recipient, PyObject *message_type, double started)
{
    double offset = PyFloat_AS_DOUBLE(wall_offset);
    PyObject *perf = PyFloat_FromDouble(started);
    PyObject *wall = PyFloat_FromDouble(started + offset);
    PyObject *record = NULL;
    if (perf == NULL || wall == NULL) {
        goto done;
    }
    /* MessageRecord(message_id, None, recipient, message_type, "send", wall, None, None, None, wall, None,
                     "pending", None, gate, started, False): record_field_names, checked by configure_gate */
    PyObject *values[RECORD_FIELDS] = {
        message_id, Py_None, recipient, message_type, str_send, wall, Py_None, Py_None, Py_None, wall, Py_None,
        str_pending, Py_None, gate, perf, Py_False,
    };
    record = record_type->tp_new(record_type, empty_tuple, NULL);
    if (record == NULL) {
        goto done;
    }
    /* written at the slots' offsets, as their descriptors would (a new object's slots are NULL): no descriptor
       is touched per message */
    for (Py_ssize_t i = 0; i < RECORD_FIELDS; i++) {
        PyObject **slot = (PyObject **)((char *)record + record_offsets[i]);
        Py_XSETREF(*slot, Py_NewRef(values[i]));
    }
    /* out of the garbage collector's lists: an unlinked hop's record holds strings, numbers and, until its end,
       its gate, which holds nothing that leads back to it (only its task's context and LAST_CAPTURE refer to it),
       so it can be in no reference cycle; reference counting frees it with its hop */
    PyObject_GC_UnTrack(record);
done:
    Py_XDECREF(perf);
    Py_XDECREF(wall);
    return record;
}

static const char *const enter_parameters[6] = {"gate", "agent_id", "recipient", "original", "message", "ctx"};

/* The six arguments in order, from positional ones and keywords (autogen-core passes ``ctx=``); borrowed
 * references into ``out``. -1 with TypeError for a missing, unknown or repeated one. */
static int
enter_arguments(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, PyObject **out)
{
    if (nargs > 6) {
        PyErr_SetString(PyExc_TypeError, "gate_enter() takes 6 arguments");
        return -1;
    }
    for (Py_ssize_t i = 0; i < 6; i++) {
        out[i] = i < nargs ? args[i] : NULL;
    }
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        Py_ssize_t i = 0;
        while (i < 6 && !PyUnicode_EqualToUTF8Compat(name, enter_parameters[i])) {
            i++;
        }
        if (i == 6 || out[i] != NULL) {
            PyErr_Format(PyExc_TypeError, "gate_enter() got an unexpected or repeated argument '%U'", name);
            return -1;
        }
        out[i] = args[nargs + k];
    }
    for (Py_ssize_t i = 0; i < 6; i++) {
        if (out[i] == NULL) {
            PyErr_Format(PyExc_TypeError, "gate_enter() missing argument '%s'", enter_parameters[i]);
            return -1;
        }
    }
    return 0;
}

static PyObject *
gate_enter(PyObject *module, PyObject *const *given, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *args[6];
    if (enter_arguments(given, nargs, kwnames, args) < 0) {
        return NULL;
    }
    if (enter_py == NULL || !fields_ready) {
        PyErr_SetString(PyExc_RuntimeError, "autogen_ops_bridge._speedups: the gate is not configured");
        return NULL;
    }
    PyObject *gate = args[0], *recipient = args[2], *original = args[3], *message = args[4], *ctx = args[5];
    PyObject *limiter = get(gate, GATE_LIMITER);
    if (limiter == NULL) {
        return NULL;
    }
    PyObject *message_id = NULL, *log = NULL, *linked = NULL, *message_type = NULL, *hop = NULL, *stats = NULL;
    PyObject *result = NULL;
    int fast = takes_fast_path(gate, limiter, ctx);
    if (fast < 0) {
        goto done;
    }
    if (fast) {
        if ((message_id = get(ctx, CTX_MESSAGE_ID)) == NULL) goto done;
        if ((log = get(gate, GATE_LOG)) == NULL) goto done;
        if ((linked = get(log, LOG_LINKED_IDS)) == NULL) goto done;
        int is_linked = PySequence_Contains(linked, message_id);
        if (is_linked < 0) goto done;
        fast = !is_linked; /* a linked message: its record comes from the log (AgentGate._enter) */
    }
    if (!fast) {
        result = PyObject_Vectorcall(enter_py, args, 6, NULL);
        goto done;
    }
    PyObject *now = PyObject_CallNoArgs(perf_counter);
    if (now == NULL) goto done;
    double started = PyFloat_AsDouble(now);
    Py_DECREF(now);
    if (started == -1.0 && PyErr_Occurred()) goto done;
    if ((message_type = PyObject_GetAttr((PyObject *)Py_TYPE(message), n_name)) == NULL) goto done;
    if ((hop = unlinked_record(gate, message_id, recipient, message_type, started)) == NULL) goto done;
    PyObject *token = PyContextVar_Set(current_var, hop);
    if (token == NULL) goto done;
    Py_DECREF(token);
    if (add_to(limiter, LIMITER_INFLIGHT, 1, NULL) < 0) goto done;
    if ((stats = get(gate, GATE_STATS)) == NULL) goto done;
    long inflight;
    if (add_to(stats, STATS_INFLIGHT, 1, &inflight) < 0) goto done;
    PyObject *peak = get(stats, STATS_PEAK_INFLIGHT);
    if (peak == NULL) goto done;
    long peak_n = PyLong_AsLong(peak);
    Py_DECREF(peak);
    if (peak_n == -1 && PyErr_Occurred()) goto done;
    if (inflight > peak_n) {
        PyObject *value = PyLong_FromLong(inflight);
        if (value == NULL) goto done;
        int rc = set(stats, STATS_PEAK_INFLIGHT, value);
        Py_DECREF(value);
        if (rc < 0) goto done;
    }
    PyObject *types = get(stats, STATS_MESSAGE_TYPES);
    if (types == NULL) goto done;
    int rc = PySet_Check(types) ? PySet_Add(types, message_type) : -2;
    if (rc == -2) { /* not a set: its own add() */
        PyObject *added = PyObject_CallMethod(types, "add", "O", message_type);
        rc = added == NULL ? -1 : 0;
        Py_XDECREF(added);
    }
    Py_DECREF(types);
    if (rc < 0) goto done;
    PyObject *call_args[2] = {message, ctx};
    result = PyObject_Vectorcall(original, call_args, 2, NULL);
done:
    Py_DECREF(limiter);
    Py_XDECREF(message_id);
    Py_XDECREF(log);
    Py_XDECREF(linked);
    Py_XDECREF(message_type);
    Py_XDECREF(hop);
    Py_XDECREF(stats);
    return result;
}

static PyObject *
configure_gate(PyObject *module, PyObject *args)
{
    PyObject *enter, *record, *slots, *current, *code, *clock, *offset;
    if (!PyArg_ParseTuple(args, "OO!O!OOOO!", &enter, &PyType_Type, &record, &PyTuple_Type, &slots, &current, &code,
                          &clock, &PyFloat_Type, &offset)) {
        return NULL;
    }
    if (!fields_ready) {
        PyErr_SetString(PyExc_RuntimeError, "configure_fields() first");
        return NULL;
    }
    Py_ssize_t offsets[RECORD_FIELDS];
    if (PyTuple_GET_SIZE(slots) != RECORD_FIELDS) {
        PyErr_Format(PyExc_ValueError, "the record has %zd fields, the gate sets %d", PyTuple_GET_SIZE(slots),
                     RECORD_FIELDS);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < RECORD_FIELDS; i++) { /* the fields unlinked_record fills, in its order */
        PyObject *slot = PyTuple_GET_ITEM(slots, i);
        PyMemberDef *member = Py_IS_TYPE(slot, &PyMemberDescr_Type) ? ((PyMemberDescrObject *)slot)->d_member : NULL;
        if (member == NULL || strcmp(member->name, record_field_names[i]) != 0 || member->type != T_OBJECT_EX
                || (member->flags & READONLY) || PyDescr_TYPE(slot) != (PyTypeObject *)record) {
            PyErr_Format(PyExc_TypeError, "the record's field %zd is not the slot '%s' the gate fills", i,
                         record_field_names[i]);
            return NULL;
        }
        offsets[i] = member->offset;
    }
    if (!PyContextVar_CheckExact(current) || !PyCallable_Check(enter) || !PyCallable_Check(clock)) {
        PyErr_SetString(PyExc_TypeError, "configure_gate(enter, record_type, slots, contextvar, code, clock, offset)");
        return NULL;
    }
    if (empty_tuple == NULL && ((empty_tuple = PyTuple_New(0)) == NULL || (n_name = PyUnicode_InternFromString("__name__")) == NULL
                                || (str_send = PyUnicode_InternFromString("send")) == NULL
                                || (str_pending = PyUnicode_InternFromString("pending")) == NULL)) {
        return NULL;
    }
    Py_XSETREF(enter_py, Py_NewRef(enter));
    Py_XSETREF(record_type, (PyTypeObject *)Py_NewRef(record));
    memcpy(record_offsets, offsets, sizeof offsets);
    Py_XSETREF(current_var, Py_NewRef(current));
    Py_XSETREF(process_send_code, Py_NewRef(code));
    Py_XSETREF(perf_counter, Py_NewRef(clock));
    Py_XSETREF(wall_offset, Py_NewRef(offset));
    Py_RETURN_NONE;
}


/* --- a hop's end (gate.AgentGate.finish) and the event hook (collector.EventCollector._capture_event) --------
 *
 * gate_finish(gate, hop, exc): AgentGate.finish for its two usual cases — the handler returned having
 * reported nothing, or it raised (not an AgentChat echo, no reported failure pending) — with no waiter on
 * the gate's limiter. Every other case calls AgentGate.finish before anything is changed.
 *
 * event_hook(collector, msg, *args, **kwargs): what autogen-core's events logger's ``info`` is, per collector
 * (a partial): a message event or a handler's failure event is routed here as _capture_event does, the
 * records still made by the collector's methods (_admit_routine, _keep_failure_event); any other event goes
 * to _other_event. A hop's end goes to gate_finish; if that fails, collector._finish_failed logs it (the
 * answer to the sender must not be lost). */

static PyObject *finish_py = NULL;       /* AgentGate.finish */
static PyObject *finish_failed = NULL;   /* collector._finish_failed(hop, exc) */
static PyObject *message_event_type = NULL;
static PyObject *failure_types = NULL;   /* tuple */
static PyObject *deliver_stage = NULL, *respond_kind = NULL;
static PyObject *last_capture = NULL;    /* error_capture.LAST_CAPTURE */
static PyObject *wall_clock = NULL;      /* time.time */
static Py_ssize_t flush_at = 256;
static PyObject *str_handler, *str_error, *str_ok, *str_refused;
static PyObject *n_absorb, *n_admit_routine, *n_capture, *n_delivery_stage, *n_keep_failure_event, *n_kind, *n_other_event, *n_receiver;

static int
intern_event_names(void)
{
#define NAME(var, text) if ((var = PyUnicode_InternFromString(text)) == NULL) return -1;
    NAME(str_handler, "handler") NAME(str_error, "error") NAME(str_ok, "ok") NAME(str_refused, "refused")
    NAME(n_absorb, "absorb")
    NAME(n_admit_routine, "_admit_routine")
    NAME(n_capture, "capture")
    NAME(n_delivery_stage, "delivery_stage")
    NAME(n_keep_failure_event, "_keep_failure_event")
    NAME(n_kind, "kind")
    NAME(n_other_event, "_other_event")
    NAME(n_receiver, "receiver")
#undef NAME
    return 0;
}

/* Sets obj.<field> to a new float; -1 on error. */
static int
set_float(PyObject *obj, int id, double value)
{
    PyObject *number = PyFloat_FromDouble(value);
    if (number == NULL) {
        return -1;
    }
    int rc = set(obj, id, number);
    Py_DECREF(number);
    return rc;
}

/* Appends ``item`` (borrowed) to the list obj.<field>; returns the list's new length, -1 on error. */
static Py_ssize_t
append_to(PyObject *obj, int id, PyObject *item)
{
    PyObject *list = get(obj, id);
    if (list == NULL) {
        return -1;
    }
    Py_ssize_t n = -1;
    if (PyList_Check(list)) {
        if (PyList_Append(list, item) == 0) {
            n = PyList_GET_SIZE(list);
        }
    } else {
        PyErr_Format(PyExc_TypeError, "%s.%s is not a list", fields[id].owner, fields[id].name);
    }
    Py_DECREF(list);
    return n;
}

/* Whether AgentGate.finish must take this end itself (1), the fast path can (0), or -1 on error. */
static int
finish_needs_python(PyObject *gate, PyObject *hop, PyObject *exc, PyObject *limiter)
{
    int t;
    if ((t = attr_true(limiter, LIMITER_WAITERS)) != 0) {
        return t < 0 ? -1 : 1;
    }
    if (exc == Py_None) { /* a failure the handler reported without raising is settled there */
        t = attr_is_none(hop, HOP_ERROR);
        return t < 0 ? -1 : !t;
    }
    if (Py_IS_TYPE(exc, (PyTypeObject *)PyExc_ValueError)) { /* maybe an AgentChat error echo */
        return 1;
    }
    t = attr_true(gate, GATE_SOFT_ERRORS);
    return t < 0 ? -1 : t;
}

/* The agent key of a "type/key" recipient: what follows the first "/", or "" (str.partition's third part). */
static PyObject *
agent_key_of(PyObject *recipient)
{
    if (!PyUnicode_Check(recipient)) {
        PyErr_SetString(PyExc_TypeError, "a hop's recipient is a str");
        return NULL;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(recipient);
    Py_ssize_t slash = PyUnicode_FindChar(recipient, '/', 0, length, 1);
    if (slash == -2) {
        return NULL;
    }
    if (slash == -1) {
        return PyUnicode_New(0, 0);
    }
    return PyUnicode_Substring(recipient, slash + 1, length);
}

/* The failed hop's capture, as AgentGate.finish does it: returns the error type (new reference) or NULL. */
static PyObject *
capture_failure(PyObject *gate, PyObject *hop, PyObject *exc, double ended)
{
    PyObject *message_type = NULL, *recipient = NULL, *agent_key = NULL, *message_id = NULL, *linked = NULL,
             *errors = NULL, *at = NULL, *group = NULL, *error_type = NULL, *text = NULL, *error = NULL;
    PyObject *result = NULL;
    if ((message_type = get(hop, HOP_MESSAGE_TYPE)) == NULL) goto done;
    if ((recipient = get(hop, HOP_RECIPIENT)) == NULL) goto done;
    if ((agent_key = agent_key_of(recipient)) == NULL) goto done;
    if ((message_id = get(hop, HOP_MESSAGE_ID)) == NULL) goto done;
    if ((linked = get(hop, HOP_LINKED)) == NULL) goto done;
    if ((errors = get(gate, GATE_ERRORS)) == NULL) goto done;
    if ((at = PyFloat_FromDouble(ended)) == NULL) goto done;
    /* self.errors.capture(exc, ended, "handler", hop.agent_key, hop.message_id, message_type, True, hop.linked) */
    PyObject *call[9] = {errors, exc, at, str_handler, agent_key, message_id, message_type, Py_True, linked};
    if ((group = PyObject_VectorcallMethod(n_capture, call, 9 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL)) == NULL) {
        goto done;
    }
    if (set(last_capture, HANDOFF_HOP, hop) < 0 || set(last_capture, HANDOFF_GROUP, group) < 0) {
        goto done;
    }
    if (set(hop, HOP_FINISHED_AT, at) < 0 || set(hop, HOP_OUTCOME, str_error) < 0) goto done;
    if ((error_type = get(group, GROUP_EXCEPTION_TYPE)) == NULL) goto done;
    if ((text = get(group, GROUP_MESSAGE)) == NULL) goto done;
    if ((error = PyUnicode_FromFormat("%S: %S", error_type, text)) == NULL) goto done;
    if (set(hop, HOP_ERROR, error) < 0) goto done;
    result = Py_NewRef(error_type);
done:
    Py_XDECREF(message_type);
    Py_XDECREF(recipient);
    Py_XDECREF(agent_key);
    Py_XDECREF(message_id);
    Py_XDECREF(linked);
    Py_XDECREF(errors);
    Py_XDECREF(at);
    Py_XDECREF(group);
    Py_XDECREF(error_type);
    Py_XDECREF(text);
    Py_XDECREF(error);
    return result;
}

/* AgentGate.finish(gate, hop, exc) (exc: None or the exception); 0, or -1 with an error set. */
static int
finish_hop(PyObject *gate, PyObject *hop, PyObject *exc)
{
    PyObject *limiter = get(gate, GATE_LIMITER);
    if (limiter == NULL) {
        return -1;
    }
    PyObject *stats = NULL, *now_obj = NULL, *error_type = NULL, *ended_buf = NULL;
    int rc = -1;
    int slow = finish_needs_python(gate, hop, exc, limiter);
    if (slow < 0) goto done;
    if (slow) {
        PyObject *call[3] = {gate, hop, exc};
        PyObject *none = PyObject_Vectorcall(finish_py, call, 3, NULL);
        rc = none == NULL ? -1 : 0;
        Py_XDECREF(none);
        goto done;
    }
    if ((now_obj = PyObject_CallNoArgs(perf_counter)) == NULL) goto done;
    double now = PyFloat_AsDouble(now_obj);
    if (now == -1.0 && PyErr_Occurred()) goto done;
    if (set(hop, HOP_GATE, Py_None) < 0) goto done;
    if ((stats = get(gate, GATE_STATS)) == NULL) goto done;
    if (add_to(stats, STATS_INFLIGHT, -1, NULL) < 0 || add_to(limiter, LIMITER_INFLIGHT, -1, NULL) < 0) goto done;
    double ended = now + PyFloat_AS_DOUBLE(wall_offset);
    if (exc != Py_None && (error_type = capture_failure(gate, hop, exc, ended)) == NULL) goto done;
    PyObject *started_obj = get(hop, HOP_PERF_STARTED);
    if (started_obj == NULL) goto done;
    double started = PyFloat_AsDouble(started_obj);
    Py_DECREF(started_obj);
    if (started == -1.0 && PyErr_Occurred()) goto done;
    /* AgentStats.end: the three doubles of stats.ENDED_RECORD appended to the bytearray stats.ended (no object
       per message); the aggregates take them in batches */
    if ((ended_buf = get(stats, STATS_ENDED)) == NULL) goto done;
    if (!PyByteArray_CheckExact(ended_buf)) {
        PyErr_SetString(PyExc_TypeError, "AgentStats.ended must be a bytearray");
        goto done;
    }
    double record[3] = {ended, now - started, error_type == NULL ? 1.0 : 0.0};
    Py_ssize_t size = PyByteArray_GET_SIZE(ended_buf);
    if (PyByteArray_Resize(ended_buf, size + (Py_ssize_t)sizeof record) < 0) goto done;
    memcpy(PyByteArray_AS_STRING(ended_buf) + size, record, sizeof record);
    Py_ssize_t waiting = size / (Py_ssize_t)sizeof record + 1;
    if (error_type != NULL && append_to(stats, STATS_ENDED_ERRORS, error_type) < 0) goto done;
    if (waiting >= flush_at) {
        PyObject *none = PyObject_CallMethodNoArgs(stats, n_absorb);
        if (none == NULL) goto done;
        Py_DECREF(none);
    }
    if (error_type == NULL) {
        PyObject *outcome = get(hop, HOP_OUTCOME);
        if (outcome == NULL) goto done;
        int refused = PyObject_RichCompareBool(outcome, str_refused, Py_EQ);
        Py_DECREF(outcome);
        if (refused < 0) goto done;
        if (!refused && (set_float(hop, HOP_FINISHED_AT, ended) < 0 || set(hop, HOP_OUTCOME, str_ok) < 0)) {
            goto done;
        }
    }
    rc = 0;
done:
    Py_DECREF(limiter);
    Py_XDECREF(stats);
    Py_XDECREF(now_obj);
    Py_XDECREF(error_type);
    Py_XDECREF(ended_buf);
    return rc;
}

static PyObject *
gate_finish(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "gate_finish(gate, hop, exc)");
        return NULL;
    }
    if (finish_py == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "autogen_ops_bridge._speedups: the events are not configured");
        return NULL;
    }
    if (finish_hop(args[0], args[1], args[2]) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* collector._finish: the hop's end, never raising an Exception (logged through collector._finish_failed). */
static int
finish_from_event(PyObject *hop, PyObject *exc)
{
    PyObject *gate = get(hop, HOP_GATE);
    if (gate == NULL) {
        return -1;
    }
    int rc = finish_hop(gate, hop, exc);
    Py_DECREF(gate);
    if (rc == 0 || !PyErr_ExceptionMatches(PyExc_Exception)) {
        return rc;
    }
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (traceback != NULL && value != NULL) {
        PyException_SetTraceback(value, traceback);
    }
    PyObject *call[2] = {hop, value == NULL ? Py_None : value};
    PyObject *none = PyObject_Vectorcall(finish_failed, call, 2, NULL);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    if (none == NULL) {
        return -1;
    }
    Py_DECREF(none);
    return 0;
}

/* The hop CURRENT holds when it still has a gate to finish it (new reference), else NULL with no error;
 * *error is set to 1 on an error. */
static PyObject *
current_gated_hop(int *error)
{
    PyObject *hop = NULL;
    *error = 0;
    if (PyContextVar_Get(current_var, NULL, &hop) < 0) {
        *error = 1;
        return NULL;
    }
    if (hop == NULL || hop == Py_None) {
        Py_XDECREF(hop);
        return NULL;
    }
    int none = attr_is_none(hop, HOP_GATE);
    if (none != 0) {
        *error = none < 0;
        Py_DECREF(hop);
        return NULL;
    }
    return hop;
}


/* A MessageEvent, as _capture_event routes it. */
static PyObject *
message_event(PyObject *collector, PyObject *msg)
{
    PyObject *kw = NULL, *stage = NULL, *kind = NULL, *receiver = NULL, *now = NULL, *budget = NULL, *closed = NULL,
             *second = NULL, *pending = NULL, *result = NULL;
    int t, error;
    if ((kw = get(msg, EVENT_KWARGS)) == NULL) goto done;
    if ((stage = PyObject_GetItem(kw, n_delivery_stage)) == NULL) goto done;
    if ((kind = PyObject_GetItem(kw, n_kind)) == NULL) goto done;
    int is_respond = PyObject_RichCompareBool(kind, respond_kind, Py_EQ);
    if (is_respond < 0) goto done;
    if ((t = PyObject_RichCompareBool(stage, deliver_stage, Py_EQ)) < 0) goto done;
    if (!t) {
        if (is_respond) { /* sent by autogen-core right after an RPC handler returned, in its task */
            PyObject *hop = current_gated_hop(&error);
            if (error) goto done;
            if (hop != NULL) {
                int rc = finish_from_event(hop, Py_None);
                Py_DECREF(hop);
                if (rc < 0) goto done;
            }
        }
        result = Py_NewRef(Py_None);
        goto done;
    }
    if (is_respond) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    /* one delivery event per message: the routine budget's cheap path (ReceiverBudget.admit's), else
       collector._admit_routine */
    if ((receiver = PyObject_GetItem(kw, n_receiver)) == NULL) goto done;
    if ((now = PyObject_CallNoArgs(wall_clock)) == NULL) goto done;
    double ts = PyFloat_AsDouble(now);
    if (ts == -1.0 && PyErr_Occurred()) goto done;
    if ((budget = get(collector, COLLECTOR_ROUTINE_BUDGET)) == NULL) goto done;
    if ((closed = get(budget, BUDGET_CLOSED)) == NULL) goto done;
    if ((t = PySequence_Contains(closed, receiver)) < 0) goto done;
    if (t) {
        if ((second = get(budget, BUDGET_SECOND)) == NULL) goto done;
        long current_second = PyLong_AsLong(second);
        if (current_second == -1 && PyErr_Occurred()) goto done;
        t = (long)ts == current_second;
    }
    if (t) {
        if ((pending = get(budget, BUDGET_PENDING)) == NULL) goto done;
        if (!PyDict_Check(pending)) {
            PyErr_SetString(PyExc_TypeError, "ReceiverBudget.pending is a dict");
            goto done;
        }
        PyObject *count = PyDict_GetItemWithError(pending, receiver); /* borrowed */
        if (count == NULL && PyErr_Occurred()) goto done;
        long n = count == NULL ? 0 : PyLong_AsLong(count);
        if (n == -1 && PyErr_Occurred()) goto done;
        PyObject *next = PyLong_FromLong(n + 1);
        if (next == NULL) goto done;
        int rc = PyDict_SetItem(pending, receiver, next);
        Py_DECREF(next);
        if (rc < 0) goto done;
        result = Py_NewRef(Py_None);
    } else {
        PyObject *call[3] = {collector, now, kw};
        result = PyObject_VectorcallMethod(n_admit_routine, call, 3 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    }
done:
    Py_XDECREF(kw);
    Py_XDECREF(stage);
    Py_XDECREF(kind);
    Py_XDECREF(receiver);
    Py_XDECREF(now);
    Py_XDECREF(budget);
    Py_XDECREF(closed);
    Py_XDECREF(second);
    Py_XDECREF(pending);
    return result;
}

static PyObject *
handled_exception(void)
{
#if PY_VERSION_HEX >= 0x030B0000
    PyObject *exc = PyErr_GetHandledException();
    return exc == NULL ? Py_NewRef(Py_None) : exc;
#else
    PyObject *type, *value, *traceback;
    PyErr_GetExcInfo(&type, &value, &traceback);
    Py_XDECREF(type);
    Py_XDECREF(traceback);
    return value == NULL ? Py_NewRef(Py_None) : value;
#endif
}

/* A handler's (or a constructor's) failure event, as _capture_event routes it. */
static PyObject *
failure_event(PyObject *collector, PyObject *msg)
{
    int error;
    PyObject *ctx = NULL, *captured = NULL, *captured_hop = NULL, *sink = NULL, *result = NULL;
    PyObject *gated = current_gated_hop(&error);
    if (error) goto done;
    if (gated != NULL) {
        /* autogen-core logs this inside its except for the handler's exception: the exception being handled
           is the handler's (the event holds only its text) */
        PyObject *exc = handled_exception();
        int rc = finish_from_event(gated, exc);
        Py_DECREF(exc);
        Py_DECREF(gated);
        if (rc < 0) goto done;
    }
    if (PyContextVar_Get(current_var, Py_None, &ctx) < 0) goto done;
    if ((captured = get(last_capture, HANDOFF_GROUP)) == NULL) goto done;
    if ((captured_hop = get(last_capture, HANDOFF_HOP)) == NULL) goto done;
    if (ctx != Py_None && captured != Py_None && captured_hop == ctx) { /* the gate has just captured this one */
        if ((sink = get(collector, COLLECTOR_FAILURE_SINK)) == NULL) goto done;
        if (sink != Py_None) {
            PyObject *call[2] = {ctx, captured};
            PyObject *none = PyObject_Vectorcall(sink, call, 2, NULL);
            if (none == NULL) goto done;
            Py_DECREF(none);
        }
        int sampled = attr_true(captured, GROUP_LAST_SAMPLED);
        if (sampled < 0) goto done;
        if (!sampled) { /* counted by its group; a kept record stands for it */
            result = Py_NewRef(Py_None);
            goto done;
        }
    } else {
        Py_SETREF(captured, Py_NewRef(Py_None));
    }
    PyObject *call[4] = {collector, msg, ctx, captured};
    result = PyObject_VectorcallMethod(n_keep_failure_event, call, 4 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
done:
    Py_XDECREF(ctx);
    Py_XDECREF(captured);
    Py_XDECREF(captured_hop);
    Py_XDECREF(sink);
    return result;
}

static PyObject *
event_hook(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (nargs < 2) {
        PyErr_SetString(PyExc_TypeError, "event_hook(collector, msg, *args, **kwargs)");
        return NULL;
    }
    if (finish_py == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "autogen_ops_bridge._speedups: the events are not configured");
        return NULL;
    }
    PyObject *collector = args[0], *msg = args[1];
    PyObject *kind_of_event = (PyObject *)Py_TYPE(msg);
    if (kind_of_event == message_event_type) {
        return message_event(collector, msg);
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(failure_types); i++) {
        if (kind_of_event == PyTuple_GET_ITEM(failure_types, i)) {
            return failure_event(collector, msg);
        }
    }
    PyObject *call[2] = {collector, msg};
    return PyObject_VectorcallMethod(n_other_event, call, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

static PyObject *
configure_events(PyObject *module, PyObject *args)
{
    PyObject *finish, *failed, *event_type, *failures, *deliver, *respond, *handoff, *clock;
    Py_ssize_t flush, record_size;
    if (!PyArg_ParseTuple(args, "OOO!O!OOOOnn", &finish, &failed, &PyType_Type, &event_type, &PyTuple_Type, &failures,
                          &deliver, &respond, &handoff, &clock, &flush, &record_size)) {
        return NULL;
    }
    if (record_size != 3 * (Py_ssize_t)sizeof(double)) { /* finish_hop writes stats.ENDED_RECORD as 3 doubles */
        PyErr_Format(PyExc_ValueError, "configure_events: an ended record of %zd bytes, not 3 doubles", record_size);
        return NULL;
    }
    if (enter_py == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_gate() first");
        return NULL;
    }
    if (finish_py == NULL && intern_event_names() < 0) {
        return NULL;
    }
    Py_XSETREF(finish_py, Py_NewRef(finish));
    Py_XSETREF(finish_failed, Py_NewRef(failed));
    Py_XSETREF(message_event_type, Py_NewRef(event_type));
    Py_XSETREF(failure_types, Py_NewRef(failures));
    Py_XSETREF(deliver_stage, Py_NewRef(deliver));
    Py_XSETREF(respond_kind, Py_NewRef(respond));
    Py_XSETREF(last_capture, Py_NewRef(handoff));
    Py_XSETREF(wall_clock, Py_NewRef(clock));
    flush_at = flush;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"signature_key", (PyCFunction)(void (*)(void))signature_key, METH_FASTCALL,
     "The signature key of an exception (see error_capture.signature_key)."},
    {"configure", configure, METH_VARARGS, "configure(attribute, group_types, max_chain)"},
    {"gate_enter", (PyCFunction)(void (*)(void))gate_enter, METH_FASTCALL | METH_KEYWORDS,
     "An agent's on_message through its gate (see gate.AgentGate._enter)."},
    {"gate_finish", (PyCFunction)(void (*)(void))gate_finish, METH_FASTCALL,
     "The end of a hop (see gate.AgentGate.finish)."},
    {"event_hook", (PyCFunction)(void (*)(void))event_hook, METH_FASTCALL | METH_KEYWORDS,
     "autogen-core's events, for a collector (see collector.EventCollector._capture_event)."},
    {"configure_events", configure_events, METH_VARARGS,
     "configure_events(finish, finish_failed, MessageEvent, failure_types, deliver, respond, last_capture, "
     "wall_clock, flush_at, ended_record_size)"},
    {"configure_fields", configure_fields, METH_O, "configure_fields(classes: dict[str, type])"},
    {"slot_fields", slot_fields, METH_NOARGS, "Which fields are read from their slot: {'Owner.name': bool}"},
    {"configure_gate", configure_gate, METH_VARARGS,
     "configure_gate(enter, record_type, slots, current, process_send_code, perf_counter, wall_offset)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "autogen_ops_bridge._speedups",
    "The bridge's per-failure hot path in C (optional; error_capture.py has the same in Python).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module_def);
}
