// Autograd of every op: one boxed kernel, because every op is linear in its first argument and its gradient is its
// partner op (Note [autograd of linear ops]); scale_and_translate's scale and translation have a gradient op of their
// own.
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/grad_mode.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/autograd.h>
#include <torch/csrc/autograd/functions/utils.h>
#include <torch/csrc/autograd/saved_variable.h>
#include <torch/csrc/dynamo/compiled_autograd.h>
#include <torch/library.h>

#include <array>
#include <memory>
#include <mutex>
#include <optional>
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
// Why in C++, and why a plain Node. The kernel below sits on the Autograd key and costs nothing when no derivative
// is asked for (the common eager call; a Python kernel there doubled the cost of a small resize, 5 -> 10 us,
// measured). When one is asked for it records a torch::autograd::Node of its own, as torch's generated autograd
// kernels do:
// - every torch.func transform supports such a node (torch refuses C++ Functions under them, and a Python
//   autograd.Function cannot be started from inside an Autograd kernel there);
// - compiled autograd traces it: the node hands compiled autograd its saved state (compiled_args) and, when a graph
//   is captured, its vector-Jacobian product as a function of the gradient and the partner's arguments
//   (apply_with_saved), as torch's generated nodes and C++ Functions do;
// - it costs less than a C++ Function (torch::autograd::Function), whose node checks and wraps every input and
//   output generically: a recorded 1x1x2x2 bilinear resize and its backward ran ~10k instructions over torch's
//   (callgrind), ~6k of them in that machinery.
// A forward-mode tangent (torch.autograd.forward_ad, torch.func.jvp) is the op applied to the tangent, set on the
// output as torch's own kernels set theirs. vmap has its batching rules in Python (torchresample/_ops.py): they fold
// the vmapped dimension into the batch.
//
// scale_and_translate is linear in its input too, and smooth in two more tensor arguments (scale, translation): when
// they require grad, the node has an edge for each and computes their vector-Jacobian products with the op's
// parameter-gradient op (scale_and_translate_param_backward, from the saved input). Their forward-mode derivatives,
// and the parameter derivatives of scale_and_translate_backward (mixed second derivatives), are not implemented and
// raise NotImplementedError when asked for.

namespace torchresample {
namespace {

using torch::autograd::SavedVariable;
using torch::autograd::variable_list;
using torch::jit::Stack;

// The arguments of an op's partner after the gradient, from the op's own arguments (input included).
using AdjointArguments = std::vector<c10::IValue> (*)(const std::vector<c10::IValue>& args);

struct LinearOp {
  const char* name;     // the op, without namespace
  const char* adjoint;  // its partner, whose application to a gradient is the op's vector-Jacobian product
  AdjointArguments adjoint_arguments;
  // Differentiable tensor arguments beyond the first (scale, translation), by position, or none; and the op giving
  // their vector-Jacobian products from (gradient, input, the partner's arguments after its first), or nullptr where
  // they are not implemented.
  std::array<int, 2> parameters{0, 0};
  const char* parameter_gradients = nullptr;
};

c10::IValue spatial_sizes(const at::Tensor& t) { return c10::IValue(t.sym_sizes().slice(2)); }

// resample(x, size, ...) -> resample_backward(g, x's spatial extents, ...) and back; the filter arguments are shared.
std::vector<c10::IValue> resample_adjoint_arguments(const std::vector<c10::IValue>& args) {
  std::vector<c10::IValue> out{spatial_sizes(args[0].toTensor())};
  out.insert(out.end(), args.begin() + 2, args.end());
  return out;
}

// scale_and_translate(x, size, ...) -> scale_and_translate_backward(g, x's shape, ...); back as resample's.
std::vector<c10::IValue> sampled_adjoint_arguments(const std::vector<c10::IValue>& args) {
  std::vector<c10::IValue> out{c10::IValue(args[0].toTensor().sym_sizes())};
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
    {"scale_and_translate",
     "scale_and_translate_backward",
     sampled_adjoint_arguments,
     {2, 3},
     "scale_and_translate_param_backward"},
    {"scale_and_translate_backward", "scale_and_translate", resample_adjoint_arguments, {2, 3}, nullptr},
};
constexpr size_t kNumLinearOps = std::size(kLinearOps);

int linear_op_index(const c10::OperatorHandle& op) {
  const std::string& name = op.schema().name();
  for (size_t i = 0; i < kNumLinearOps; ++i) {
    if (name.size() > 15 && name.compare(15, std::string::npos, kLinearOps[i].name) == 0) {  // "torchresample::"
      return static_cast<int>(i);
    }
  }
  TORCH_INTERNAL_ASSERT(false, "torchresample: no autograd entry for ", name);
}

// The partners, looked up once (a lookup hashes the name).
const c10::OperatorHandle& adjoint_handle(int op) {
  static const std::vector<c10::OperatorHandle> handles = [] {
    std::vector<c10::OperatorHandle> out;
    for (const auto& entry : kLinearOps) {
      out.push_back(
          c10::Dispatcher::singleton().findSchemaOrThrow((std::string("torchresample::") + entry.adjoint).c_str(), ""));
    }
    return out;
  }();
  return handles[op];
}

// The parameter-gradient ops, looked up once (null where an op has none).
const c10::OperatorHandle* parameter_handle(int op) {
  static const std::vector<std::optional<c10::OperatorHandle>> handles = [] {
    std::vector<std::optional<c10::OperatorHandle>> out;
    for (const auto& entry : kLinearOps) {
      out.push_back(entry.parameter_gradients == nullptr
                        ? std::nullopt
                        : std::optional<c10::OperatorHandle>(c10::Dispatcher::singleton().findSchemaOrThrow(
                              (std::string("torchresample::") + entry.parameter_gradients).c_str(), "")));
    }
    return out;
  }();
  return handles[op] ? &*handles[op] : nullptr;
}

bool has_parameters(int op) { return kLinearOps[op].parameters[0] != 0; }

// Whether a torch.func transform is on the stack (its layer keeps the back-mode key included while it runs).
bool functorch_active() {
  return c10::impl::tls_is_dispatch_key_included(c10::DispatchKey::FuncTorchDynamicLayerBackMode);
}

// The vector-Jacobian product: the partner op applied to `stack` (the gradient, then the partner's other
// arguments), through the dispatcher.
at::Tensor apply_adjoint(int op, Stack&& stack) {
  std::optional<at::AutoDispatchBelowADInplaceOrView> below_autograd;
  if (!at::GradMode::is_enabled() && !stack.front().toTensor()._fw_grad(/*level=*/0).defined() && !functorch_active()) {
    below_autograd.emplace();  // a backward that records nothing (no create_graph): as the kernel would redispatch
  }
  adjoint_handle(op).callBoxed(stack);
  return stack.back().toTensor();
}

// The gradients of an op with parameters: (input, each parameter) from the gradient and the partner's arguments
// followed by the saved input; `wanted` says which the engine asks for (the others stay undefined).
variable_list apply_with_parameters(int op, const at::Tensor& grad, const std::vector<c10::IValue>& arguments,
                                    const std::array<bool, 3>& wanted) {
  variable_list out(3);
  const std::vector<c10::IValue> partner(arguments.begin(), arguments.end() - 1);
  if (wanted[0]) {
    Stack stack{grad};
    stack.insert(stack.end(), partner.begin(), partner.end());
    out[0] = apply_adjoint(op, std::move(stack));
  }
  if (wanted[1] || wanted[2]) {
    const c10::OperatorHandle* handle = parameter_handle(op);
    TORCH_CHECK_NOT_IMPLEMENTED(handle != nullptr, "torchresample::", kLinearOps[op].name,
                                ": derivatives with respect to scale and translation are not implemented (they are ",
                                "mixed second derivatives of scale_and_translate); the derivative with respect to ",
                                "grad_output is");
    Stack stack{grad, arguments.back()};
    stack.insert(stack.end(), partner.begin() + 1, partner.end());
    handle->callBoxed(stack);
    out[1] = stack[0].toTensor();
    out[2] = stack[1].toTensor();
  }
  return out;
}

// The node of every op: the partner's arguments, with their tensors (max_unpool's indices) saved as torch's nodes
// save theirs, so that saved-tensor hooks apply and an in-place change between forward and backward is caught.
class LinearBackward final : public torch::autograd::Node {
 public:
  LinearBackward(int op, std::vector<c10::IValue> arguments) : op_(op), arguments_(std::move(arguments)) {
    for (size_t i = 0; i < arguments_.size(); ++i) {
      if (arguments_[i].isTensor()) {
        tensors_.emplace_back(arguments_[i].toTensor(), /*is_output=*/false);
        arguments_[i] = c10::IValue();
        saved_slots_ |= uint64_t{1} << i;
      }
    }
  }

  std::string name() const override { return std::string("torchresample::") + kLinearOps[op_].name + "_backward_node"; }

  void release_variables() override {
    for (auto& tensor : tensors_) {
      tensor.reset_data();
    }
  }

  void compiled_args(torch::dynamo::autograd::CompiledNodeArgs& args) const override {
    args.collect(static_cast<int64_t>(op_));
    for (const auto& argument : arguments_) {
      args.collect(argument);
    }
    args.collect(tensors_, /*is_output=*/false);
  }

  // Called when compiled autograd captures a graph: the saved state swapped for its proxies, the vector-Jacobian
  // product recorded as one call of a function bound once per op (Note [autograd of linear ops]).
  variable_list apply_with_saved(const variable_list& inputs,
                                 torch::dynamo::autograd::SwapSavedVariables& saved) override {
    for (auto& argument : arguments_) {
      saved.before(argument);
    }
    saved.before(tensors_);
    std::vector<c10::IValue> packed;
    append_arguments(packed);
    const auto& compiler = torch::dynamo::autograd::getPyCompilerInterface();
    // One function per op, and one more for an op whose parameters have gradients (it also takes the input).
    const bool with_parameters = num_outputs() > 1;
    static std::array<std::array<std::once_flag, 2>, kNumLinearOps> bound;
    std::call_once(bound[op_][with_parameters], [&] {
      // The partner's argument types after the gradient: the packed arguments come back from Python as these.
      std::vector<at::TypePtr> schema;
      for (const auto& argument : adjoint_handle(op_).schema().arguments()) {
        schema.push_back(argument.real_type());
      }
      schema.erase(schema.begin());
      if (with_parameters) {
        schema.push_back(c10::TensorType::get());
      }
      const int op = op_;
      compiler->bind_function(
          saved.get_py_compiler(), bound_name(),
          [op, with_parameters](const variable_list& grads,
                                const std::vector<c10::IValue>& arguments) -> variable_list {
            if (with_parameters) {
              return apply_with_parameters(op, grads[0], arguments, {true, true, true});
            }
            Stack stack{grads[0]};
            stack.insert(stack.end(), arguments.begin(), arguments.end());
            return {apply_adjoint(op, std::move(stack))};
          },
          std::move(schema));
    });
    const auto output_metadata =
        torch::dynamo::autograd::IValuePacker<std::vector<std::optional<torch::autograd::InputMetadata>>>::pack(
            torch::dynamo::autograd::get_input_metadata(next_edges()));
    variable_list result = compiler->call_function(saved.get_py_compiler(), "apply_functional", bound_name(), inputs,
                                                   packed, output_metadata);
    for (auto& argument : arguments_) {
      saved.after(argument);
    }
    saved.after(tensors_);
    return result;
  }

 private:
  variable_list apply(variable_list&& grads) override {
    if (!grads[0].defined()) {
      return variable_list(num_outputs());
    }
    Stack stack;
    stack.reserve(arguments_.size() + 1);
    stack.emplace_back(grads[0]);
    append_arguments(stack);
    if (num_outputs() > 1) {  // the input and the parameters (the partner's arguments end with the saved input)
      const std::vector<c10::IValue> arguments(stack.begin() + 1, stack.end());
      return apply_with_parameters(
          op_, grads[0], arguments,
          {task_should_compute_output(0), task_should_compute_output(1), task_should_compute_output(2)});
    }
    return {apply_adjoint(op_, std::move(stack))};
  }

  // Appends the partner's arguments with the saved tensors back in place (unpacking checks their versions).
  void append_arguments(std::vector<c10::IValue>& out) const {
    size_t next = 0;
    for (size_t i = 0; i < arguments_.size(); ++i) {
      out.push_back(saved_slots_ >> i & 1 ? c10::IValue(tensors_.at(next++).unpack()) : arguments_[i]);
    }
  }

  // A Python identifier: compiled autograd names its graph's calls after it.
  std::string bound_name() const {
    return std::string("torchresample_") + kLinearOps[op_].name + (num_outputs() > 1 ? "_vjp_with_parameters" : "_vjp");
  }

  int op_;                              // index into kLinearOps
  std::vector<c10::IValue> arguments_;  // the partner's, after the gradient; saved tensors replaced by None
  std::vector<SavedVariable> tensors_;  // the tensors taken out, in order
  uint64_t saved_slots_ = 0;            // bit i: arguments_[i] is one of them (None here; a None argument stays)
};

// torch holds nodes in std::shared_ptr up to 2.12 and in c10::intrusive_ptr since; make whichever Edge holds.
template <typename NodeRef>
NodeRef make_node(int op, std::vector<c10::IValue> arguments) {
  if constexpr (std::is_same_v<NodeRef, std::shared_ptr<torch::autograd::Node>>) {
    return NodeRef(new LinearBackward(op, std::move(arguments)));
  } else {
    return c10::make_intrusive<LinearBackward>(op, std::move(arguments));
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

// kWithParameters: the op has differentiable tensors beyond its input (scale_and_translate's); the other ops' kernel
// looks nothing up on the call that records nothing.
template <bool kWithParameters>
void autograd_kernel(const c10::OperatorHandle& op, c10::DispatchKeySet keys, Stack* stack) {
  const size_t num_args = op.schema().arguments().size();
  normalize_size_lists(op.schema(), stack, num_args);
  const at::Tensor input = (*stack)[stack->size() - num_args].toTensor();
  // The parameters (scale, translation) when the op has them and one of them is differentiable.
  std::vector<at::Tensor> parameters;
  if constexpr (kWithParameters) {
    for (const int i : kLinearOps[linear_op_index(op)].parameters) {
      parameters.push_back((*stack)[stack->size() - num_args + i].toTensor());
    }
    const bool differentiable =
        at::GradMode::is_enabled() && (parameters[0].requires_grad() || parameters[1].requires_grad());
    TORCH_CHECK_NOT_IMPLEMENTED(
        !parameters[0]._fw_grad(/*level=*/0).defined() && !parameters[1]._fw_grad(/*level=*/0).defined(),
        "torchresample::", op.schema().name().substr(15),
        ": forward-mode derivatives with respect to scale and translation are not implemented (with respect to the ",
        "input they are)");
    if (!differentiable) {
      parameters.clear();
    }
  }
  const bool reverse = at::GradMode::is_enabled() && (input.requires_grad() || !parameters.empty());
  const at::Tensor tangent = input._fw_grad(/*level=*/0);
  if (!reverse && !tangent.defined()) {
    at::AutoDispatchBelowADInplaceOrView guard;
    op.redispatchBoxed(keys & c10::after_ADInplaceOrView_keyset, stack);
    return;
  }
  const std::vector<c10::IValue> args(stack->end() - num_args, stack->end());
  {
    at::AutoDispatchBelowADInplaceOrView guard;
    op.redispatchBoxed(keys & c10::after_ADInplaceOrView_keyset, stack);
  }
  at::Tensor output = stack->back().toTensor();
  if (reverse) {
    const int index = linear_op_index(op);
    using NodeRef = decltype(torch::autograd::Edge::function);
    std::vector<c10::IValue> arguments = kLinearOps[index].adjoint_arguments(args);
    if (!parameters.empty()) {
      arguments.emplace_back(input);  // the parameters' gradients read it
    }
    auto node = make_node<NodeRef>(index, std::move(arguments));
    node->set_next_edges(parameters.empty() ? torch::autograd::collect_next_edges(input)
                                            : torch::autograd::collect_next_edges(input, parameters[0], parameters[1]));
    torch::autograd::set_history(output, node);
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
    m.impl(entry.name, entry.parameters[0] != 0 ? torch::CppFunction::makeFromBoxedFunction<&autograd_kernel<true>>()
                                                : torch::CppFunction::makeFromBoxedFunction<&autograd_kernel<false>>());
  }
}

}  // namespace torchresample
