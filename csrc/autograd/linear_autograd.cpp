// Autograd of every op: one boxed kernel, because every op is linear in its first argument and its gradient is its
// partner op (Note [autograd of linear ops]).
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/grad_mode.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/autograd.h>
#include <torch/csrc/autograd/functions/utils.h>
#include <torch/library.h>

#include <iterator>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

// Note [autograd of linear ops]
// Each op maps its first argument linearly (resample, max_unpool's scatter, pixel_shuffle's permutation), and the
// transpose of each map is another op of ours: resample <-> resample_backward, max_unpool <-> max_unpool_backward,
// pixel_shuffle <-> pixel_unshuffle. So the vector-Jacobian product of an op is its partner applied to the gradient,
// and the Jacobian-vector product is the op itself applied to the tangent, with the same other arguments. The
// gradients call the ops through the dispatcher, so every derivative is itself differentiable (double backward,
// hessians, jacfwd over jacrev).
//
// Why in C++, and why two node kinds. The kernel below sits on the Autograd key and costs nothing when no
// derivative is asked for (the common eager call; a Python kernel there doubled the cost of a small resize, 5 -> 10
// us, measured). When one is asked for:
// - plain reverse mode records a torch::autograd::Function node, which compiled autograd knows how to trace;
// - under a torch.func transform (grad, vjp, jacrev, jvp, jacfwd, hessian) torch refuses C++ Functions, and a
//   Python autograd.Function cannot be started from inside an Autograd kernel there (functorch dispatches it as a
//   higher-order op from above the dispatcher); so the kernel records a plain Node, as torch's own generated
//   autograd kernels do, which every functorch transform supports; and
// - a forward-mode tangent (torch.autograd.forward_ad, torch.func.jvp) is the op applied to the tangent, set on the
//   output as torch's own kernels set theirs; a dual input also takes the plain Node, since C++ Functions refuse
//   tangents.
// vmap has its batching rules in Python (torchresample/_ops.py): they fold the vmapped dimension into the batch.

namespace torchresample {
namespace {

using torch::autograd::variable_list;
using torch::jit::Stack;

// The arguments of an op's partner after the gradient, from the op's own arguments (input included).
using AdjointArguments = std::vector<c10::IValue> (*)(const std::vector<c10::IValue>& args);

struct LinearOp {
  const char* name;     // the op, without namespace
  const char* adjoint;  // its partner, whose application to a gradient is the op's vector-Jacobian product
  AdjointArguments adjoint_arguments;
};

c10::IValue spatial_sizes(const at::Tensor& t) {
  return c10::IValue(t.sym_sizes().slice(2));
}

// resample(x, size, ...) -> resample_backward(g, x's spatial extents, ...) and back; the filter arguments are shared.
std::vector<c10::IValue> resample_adjoint_arguments(const std::vector<c10::IValue>& args) {
  std::vector<c10::IValue> out{spatial_sizes(args[0].toTensor())};
  out.insert(out.end(), args.begin() + 2, args.end());
  return out;
}

constexpr LinearOp kLinearOps[] = {
    {"resample", "resample_backward", resample_adjoint_arguments},
    {"resample_backward", "resample", resample_adjoint_arguments},
    {"max_unpool", "max_unpool_backward", [](const auto& a) { return std::vector<c10::IValue>{a[1]}; }},
    {"max_unpool_backward", "max_unpool",
     [](const auto& a) { return std::vector<c10::IValue>{a[1], spatial_sizes(a[0].toTensor())}; }},
    {"pixel_shuffle", "pixel_unshuffle", [](const auto& a) { return std::vector<c10::IValue>{a[1], a[2]}; }},
    {"pixel_unshuffle", "pixel_shuffle", [](const auto& a) { return std::vector<c10::IValue>{a[1], a[2]}; }},
};

const LinearOp& linear_op(const c10::OperatorHandle& op) {
  const std::string& name = op.schema().name();
  for (const auto& entry : kLinearOps) {
    if (name.size() > 15 && name.compare(15, std::string::npos, entry.name) == 0) {  // after "torchresample::"
      return entry;
    }
  }
  TORCH_INTERNAL_ASSERT(false, "torchresample: no autograd entry for ", name);
}

// The partner's arguments with their tensors (max_unpool's indices) kept apart: a node saves those so that an
// in-place change between forward and backward is caught, as torch's nodes catch it.
struct Adjoint {
  int op = 0;                              // index into kLinearOps
  std::vector<c10::IValue> arguments;      // after the gradient; tensors replaced by None
  std::vector<at::Tensor> tensors;         // the tensors taken out, in order
  std::vector<int64_t> tensor_versions;    // their versions when saved

  static Adjoint of(const c10::OperatorHandle& op, const std::vector<c10::IValue>& args) {
    Adjoint adjoint;
    const LinearOp& entry = linear_op(op);
    adjoint.op = static_cast<int>(&entry - kLinearOps);
    adjoint.arguments = entry.adjoint_arguments(args);
    for (auto& argument : adjoint.arguments) {
      if (argument.isTensor()) {
        adjoint.tensors.push_back(argument.toTensor());
        adjoint.tensor_versions.push_back(argument.toTensor()._version());
        argument = c10::IValue();
      }
    }
    return adjoint;
  }
};

// Whether a torch.func transform is on the stack (its layer keeps the back-mode key included while it runs): then
// torch refuses C++ Functions.
bool functorch_active() {
  return c10::impl::tls_is_dispatch_key_included(c10::DispatchKey::FuncTorchDynamicLayerBackMode);
}

// The vector-Jacobian product: the partner op applied to `grad`, through the dispatcher.
at::Tensor apply_adjoint(int op, const at::Tensor& grad, const std::vector<c10::IValue>& arguments,
                         const std::vector<at::Tensor>& tensors) {
  // Looked up once: a lookup hashes the name.
  static const std::vector<c10::OperatorHandle> adjoints = [] {
    std::vector<c10::OperatorHandle> handles;
    for (const auto& entry : kLinearOps) {
      handles.push_back(c10::Dispatcher::singleton().findSchemaOrThrow(
          (std::string("torchresample::") + entry.adjoint).c_str(), ""));
    }
    return handles;
  }();
  Stack stack{grad};
  stack.reserve(arguments.size() + 1);
  size_t next_tensor = 0;
  for (const auto& argument : arguments) {
    stack.push_back(argument.isNone() ? c10::IValue(tensors.at(next_tensor++)) : argument);
  }
  if (!at::GradMode::is_enabled() && !grad._fw_grad(/*level=*/0).defined() && !functorch_active()) {
    // A backward that records nothing (no create_graph): start below autograd, as the kernel would redispatch.
    at::AutoDispatchBelowADInplaceOrView below_autograd;
    adjoints[op].callBoxed(stack);
  } else {
    adjoints[op].callBoxed(stack);
  }
  return stack.back().toTensor();
}

void check_versions(const std::vector<at::Tensor>& tensors, const std::vector<int64_t>& versions, const char* op) {
  for (size_t i = 0; i < tensors.size(); ++i) {
    TORCH_CHECK(tensors[i]._version() == versions[i],
                "one of the variables needed for gradient computation has been modified by an inplace operation: "
                "the indices of torchresample::", op, " are at version ", tensors[i]._version(),
                "; expected version ", versions[i], " instead.");
  }
}

// Reverse mode outside torch.func: a C++ Function (compiled autograd traces its backward).
struct LinearFunction : public torch::autograd::Function<LinearFunction> {
  // The backward only calls an op on its gradient: compiled autograd may trace it into its graph.
  static constexpr bool is_traceable = true;

  // `forward_op` runs the op below autograd; the graph records only the input.
  template <typename ForwardOp>
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& input, Adjoint* adjoint,
                            ForwardOp* forward_op) {
    // One entry per argument (compiled autograd hashes each saved IValue, and cannot hash a list inside a tuple),
    // and one of ints: the op, the argument count, the saved tensors' versions.
    const size_t n = adjoint->arguments.size();
    TORCH_INTERNAL_ASSERT(n <= std::size(kArgumentKeys));
    ctx->saved_data.reserve(n + 1);
    std::vector<int64_t> header{adjoint->op, static_cast<int64_t>(n)};
    header.insert(header.end(), adjoint->tensor_versions.begin(), adjoint->tensor_versions.end());
    ctx->saved_data[kHeader] = c10::IValue(std::move(header));
    for (size_t i = 0; i < n; ++i) {
      ctx->saved_data[kArgumentKeys[i]] = adjoint->arguments[i];
    }
    ctx->save_for_backward(adjoint->tensors);
    return (*forward_op)();
  }

  static variable_list backward(torch::autograd::AutogradContext* ctx, variable_list grads) {
    const std::vector<int64_t> header = ctx->saved_data[kHeader].toIntVector();
    const int op = static_cast<int>(header[0]);
    const auto tensors = ctx->get_saved_variables();
    check_versions(tensors, std::vector<int64_t>(header.begin() + 2, header.end()), kLinearOps[op].name);
    std::vector<c10::IValue> arguments;
    arguments.reserve(header[1]);
    for (int64_t i = 0; i < header[1]; ++i) {
      arguments.push_back(ctx->saved_data[kArgumentKeys[i]]);
    }
    return {apply_adjoint(op, grads[0], arguments, tensors), at::Tensor(), at::Tensor()};
  }

 private:
  static constexpr const char* kHeader = "header";
  // The most arguments a partner takes after the gradient (resample_backward: input_size, filter, align_corners,
  // scales, antialias).
  static constexpr const char* kArgumentKeys[] = {"argument0", "argument1", "argument2", "argument3", "argument4"};
};

// Reverse mode under torch.func transforms or beside a tangent: a plain Node, like torch's generated ones.
class LinearBackward final : public torch::autograd::Node {
 public:
  explicit LinearBackward(Adjoint adjoint) : adjoint_(std::move(adjoint)) {}

  variable_list apply(variable_list&& grads) override {
    if (!grads[0].defined()) {
      return {at::Tensor()};
    }
    check_versions(adjoint_.tensors, adjoint_.tensor_versions, kLinearOps[adjoint_.op].name);
    return {apply_adjoint(adjoint_.op, grads[0], adjoint_.arguments, adjoint_.tensors)};
  }

  std::string name() const override {
    return std::string("torchresample::") + kLinearOps[adjoint_.op].name + "_backward_node";
  }

  void release_variables() override {
    adjoint_.tensors.clear();
  }

 private:
  Adjoint adjoint_;
};

// torch holds nodes in std::shared_ptr up to 2.12 and in c10::intrusive_ptr since; make whichever Edge holds.
template <typename NodeRef>
NodeRef make_node(Adjoint adjoint) {
  if constexpr (std::is_same_v<NodeRef, std::shared_ptr<torch::autograd::Node>>) {
    return NodeRef(new LinearBackward(std::move(adjoint)));
  } else {
    return c10::make_intrusive<LinearBackward>(std::move(adjoint));
  }
}

// Python passes a size list holding 0-d tensors (size=[torch.tensor(3), 4], which F.interpolate accepts) as a generic
// list; the backend kernels unbox int lists, so such a list becomes one here, on every path.
void normalize_size_lists(const c10::FunctionSchema& schema, Stack* stack, size_t num_args) {
  for (size_t i = 0; i < num_args; ++i) {
    c10::IValue* it = &(*stack)[stack->size() - num_args + i];
    if (!it->isList() || it->isIntList() || it->isDoubleList() ||
        schema.arguments()[i].type()->containedType(0)->kind() != c10::TypeKind::IntType) {
      continue;
    }
    std::vector<c10::SymInt> sizes;
    for (const c10::IValue& element : it->toListRef()) {
      sizes.push_back(element.isTensor() ? c10::SymInt(element.toTensor().item<int64_t>()) : element.toSymInt());
    }
    *it = c10::IValue(c10::SymIntArrayRef(sizes));
  }
}

void autograd_kernel(const c10::OperatorHandle& op, c10::DispatchKeySet keys, Stack* stack) {
  const size_t num_args = op.schema().arguments().size();
  normalize_size_lists(op.schema(), stack, num_args);
  const at::Tensor input = (*stack)[stack->size() - num_args].toTensor();
  const bool reverse = at::GradMode::is_enabled() && input.requires_grad();
  const at::Tensor tangent = input._fw_grad(/*level=*/0);
  const auto run_below = [&] {
    at::AutoDispatchBelowADInplaceOrView guard;
    op.redispatchBoxed(keys & c10::after_ADInplaceOrView_keyset, stack);
    return stack->back().toTensor();
  };
  if (!reverse && !tangent.defined()) {
    run_below();
    return;
  }
  const std::vector<c10::IValue> args(stack->end() - num_args, stack->end());
  at::Tensor output;
  if (reverse && !tangent.defined() && !functorch_active()) {
    Adjoint adjoint = Adjoint::of(op, args);
    output = LinearFunction::apply(input, &adjoint, &run_below);
    stack->back() = output;
  } else {
    output = run_below();
    if (reverse) {
      using NodeRef = decltype(torch::autograd::Edge::function);
      auto node = make_node<NodeRef>(Adjoint::of(op, args));
      node->set_next_edges(torch::autograd::collect_next_edges(input));
      torch::autograd::set_history(output, node);
    }
  }
  if (tangent.defined()) {
    Stack tangent_stack(args.begin(), args.end());
    tangent_stack[0] = tangent;
    op.callBoxed(tangent_stack);
    output._set_fw_grad(tangent_stack.back().toTensor(), /*level=*/0, /*is_inplace_op=*/false);
  }
}

}  // namespace

TORCH_LIBRARY_IMPL(torchresample, Autograd, m) {
  for (const auto& entry : kLinearOps) {
    m.impl(entry.name, torch::CppFunction::makeFromBoxedFunction<&autograd_kernel>());
  }
}

}  // namespace torchresample
