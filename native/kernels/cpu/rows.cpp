#include "kernels/cpu/rows.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cstring>

namespace albert::kernels {

namespace {

// out[out_row(r)] = in[in_row(r)] for r in [0, R), rows of `row_bytes` bytes.
template <typename InRow, typename OutRow>
void copy_rows(const at::Tensor& in, at::Tensor& out, int64_t count, const InRow& in_row, const OutRow& out_row) {
  const int64_t row_bytes = in.size(1) * static_cast<int64_t>(in.element_size());
  const char* from = static_cast<const char*>(in.const_data_ptr());
  char* to = static_cast<char*>(out.mutable_data_ptr());
  at::parallel_for(0, count, std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(row_bytes, 1)), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) std::memcpy(to + out_row(r) * row_bytes, from + in_row(r) * row_bytes, static_cast<size_t>(row_bytes));
  });
}

at::Tensor gather_kernel(const at::Tensor& src_in, const at::Tensor& index) {
  if (!src_in.device().is_cpu()) return src_in.index_select(0, index);
  const at::Tensor src = src_in.contiguous();
  const int64_t* rows = index.const_data_ptr<int64_t>();
  at::Tensor out = at::empty({index.size(0), src.size(1)}, src.options());  // (R, C)
  copy_rows(src, out, index.size(0), [&](int64_t r) { return rows[r]; }, [](int64_t r) { return r; });
  return out;
}

at::Tensor scatter_kernel(const at::Tensor& src_in, const at::Tensor& index, int64_t n) {
  if (!src_in.device().is_cpu()) return at::zeros({n, src_in.size(1)}, src_in.options()).index_copy_(0, index, src_in);
  const at::Tensor src = src_in.contiguous();
  const int64_t* rows = index.const_data_ptr<int64_t>();
  at::Tensor out = at::zeros({n, src.size(1)}, src.options());  // (n, C)
  copy_rows(src, out, index.size(0), [](int64_t r) { return r; }, [&](int64_t r) { return rows[r]; });
  return out;
}

void check(const at::Tensor& src, const at::Tensor& index, int64_t n, const char* what) {
  TORCH_CHECK(src.dim() == 2 && index.dim() == 1 && index.scalar_type() == at::kLong && index.device() == src.device(),
              what, ": src (rows, C), index (R) int64 on src's device");
  if (src.device().is_cpu()) {
    const at::Tensor bad = (index < 0) | (index >= n);
    TORCH_CHECK(!bad.any().item<bool>(), what, ": an index is outside [0, ", n, ")");
  }
}

class GatherRows : public torch::autograd::Function<GatherRows> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& src, const at::Tensor& index) {
    ctx->save_for_backward({index});
    ctx->saved_data["n"] = src.size(0);
    return gather_kernel(src, index);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    return {scatter_kernel(grads[0], ctx->get_saved_variables()[0], ctx->saved_data["n"].toInt()), at::Tensor()};
  }
};

class ScatterRows : public torch::autograd::Function<ScatterRows> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& src, const at::Tensor& index, int64_t n) {
    ctx->save_for_backward({index});
    return scatter_kernel(src, index, n);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    return {gather_kernel(grads[0], ctx->get_saved_variables()[0]), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor gather_rows(const at::Tensor& src, const at::Tensor& index) {
  check(src, index, src.size(0), "gather_rows");
  return GatherRows::apply(src, index);
}

at::Tensor scatter_rows(const at::Tensor& src, const at::Tensor& index, int64_t n) {
  check(src, index, n, "scatter_rows");
  return ScatterRows::apply(src, index, n);
}

}  // namespace albert::kernels
