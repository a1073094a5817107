#include "binding/trainer_wrap.h"

#include "binding/convert.h"
#include "binding/model_wrap.h"
#include "binding/process_group_wrap.h"
#include "binding/promise_worker.h"
#include "io/safetensors.h"

namespace albert::binding {

Napi::Function TrainerWrap::define(Napi::Env env) {
  return DefineClass(env, "Trainer",
                     {InstanceMethod<&TrainerWrap::step>("step"),
                      InstanceMethod<&TrainerWrap::eval_step>("evalStep"),
                      InstanceMethod<&TrainerWrap::compute_gradients>("computeGradients"),
                      InstanceMethod<&TrainerWrap::save_state>("saveState"),
                      InstanceMethod<&TrainerWrap::load_state>("loadState"),
                      InstanceMethod<&TrainerWrap::attach_process_group>("attachProcessGroup"),
                      InstanceMethod<&TrainerWrap::dispose>("dispose"),
                      InstanceAccessor<&TrainerWrap::step_count>("stepCount"),
                      InstanceAccessor<&TrainerWrap::loss_scale>("lossScale"),
                      InstanceAccessor<&TrainerWrap::graphs_captured>("cudaGraphsCaptured"),
                      InstanceAccessor<&TrainerWrap::disposed>("disposed")});
}

namespace {
TrainOptions options_from_js(const Napi::Value& value) {
  Napi::Object o = object_arg(value, "options");
  TrainOptions options;
  options.adamw.beta1 = number_arg(o.Get("beta1"), "options.beta1");
  options.adamw.beta2 = number_arg(o.Get("beta2"), "options.beta2");
  options.adamw.eps = number_arg(o.Get("eps"), "options.eps");
  options.adamw.weight_decay = number_arg(o.Get("weightDecay"), "options.weightDecay");
  options.max_grad_norm = number_arg(o.Get("maxGradNorm"), "options.maxGradNorm");
  options.amp = amp_from_js(o.Get("amp"));
  Napi::Object s = object_arg(o.Get("lossScale"), "options.lossScale");
  options.loss_scaler.init_scale = number_arg(s.Get("init"), "options.lossScale.init");
  options.loss_scaler.growth_factor = number_arg(s.Get("growthFactor"), "options.lossScale.growthFactor");
  options.loss_scaler.backoff_factor = number_arg(s.Get("backoffFactor"), "options.lossScale.backoffFactor");
  options.loss_scaler.growth_interval =
      integer_arg(s.Get("growthInterval"), "options.lossScale.growthInterval", 1, 9007199254740992.0, "[1, 2^53]");
  options.cuda_graphs = optional_boolean_arg(o.Get("cudaGraphs"), "options.cudaGraphs").value_or(false);
  return options;
}
}  // namespace

TrainerWrap::TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
  guarded(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(ModelWrap::constructor.Value())) {
      wrong_argument("a Model", "model", info[0]);
    }
    model_ = ModelWrap::Unwrap(info[0].As<Napi::Object>())->handle();
    TrainOptions options = options_from_js(info[1]);
    if (model_->busy.load()) fail(codes::kBusy, "Trainer: the model is busy with another call; await it first");
    session_ = std::make_shared<TrainSession>(model_->get(), options);
    return info.Env().Undefined();
  });
}

TrainSession& TrainerWrap::session() {
  if (!session_) fail(codes::kDisposed, "this trainer was disposed");
  model_->get();  // throws ERR_DISPOSED when the model was disposed
  return *session_;
}

Napi::Value TrainerWrap::step(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    session();
    Batch batch = batch_from_js(info[0]);
    const double lr = number_arg(info[1], "step(lr)");
    const bool stop_requested = optional_boolean_arg(info[2], "step(stopRequested)").value_or(false);
    model_->acquire("step");
    auto model = model_;
    auto session = session_;
    auto result = std::make_shared<StepResult>();
    return PromiseWorker::queue(
        info.Env(), [session, batch, lr, stop_requested, result] { *result = session->step(batch, lr, stop_requested); },
        [result](Napi::Env env) -> Napi::Value {
          Napi::Object out = Napi::Object::New(env);
          out.Set("loss", result->loss);
          out.Set("gradNorm", result->grad_norm);
          out.Set("skipped", result->skipped);
          out.Set("lossScale", result->loss_scale);
          out.Set("stop", result->stop);
          return out;
        },
        [model] { model->release(); });
  });
}

Napi::Value TrainerWrap::eval_step(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    session();
    Batch batch = batch_from_js(info[0]);
    model_->acquire("evalStep");
    auto model = model_;
    auto session = session_;
    auto result = std::make_shared<EvalResult>();
    return PromiseWorker::queue(
        info.Env(), [session, batch, result] { *result = session->eval(batch); },
        [result](Napi::Env env) -> Napi::Value { return eval_result_to_js(env, *result); },
        [model] { model->release(); });
  });
}

Napi::Value TrainerWrap::compute_gradients(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    session();
    Batch batch = batch_from_js(info[0]);
    model_->acquire("computeGradients");
    auto model = model_;
    auto session = session_;
    auto result = std::make_shared<std::pair<double, NamedTensors>>();
    return PromiseWorker::queue(
        info.Env(), [session, batch, result] { *result = session->gradients(batch); },
        [result](Napi::Env env) -> Napi::Value {
          Napi::Object out = Napi::Object::New(env);
          out.Set("loss", result->first);
          Napi::Object gradients = Napi::Object::New(env);
          for (const auto& [name, grad] : result->second) gradients.Set(name, to_float32_array(env, grad));
          out.Set("gradients", gradients);
          return out;
        },
        [model] { model->release(); });
  });
}

Napi::Value TrainerWrap::save_state(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    session();
    std::string file = string_arg(info[0], "saveState(file)");
    model_->acquire("saveState");
    auto model = model_;
    auto session = session_;
    return PromiseWorker::queue(
        info.Env(),
        [session, file] {
          NamedTensors state = session->state();
          io::write_safetensors(file, state, {{"format", "albert-trainer-optimizer"},
                                              {"steps", std::to_string(session->steps_taken())}});
        },
        [](Napi::Env env) { return env.Undefined(); }, [model] { model->release(); });
  });
}

Napi::Value TrainerWrap::load_state(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    session();
    std::string file = string_arg(info[0], "loadState(file)");
    model_->acquire("loadState");
    auto model = model_;
    auto session = session_;
    return PromiseWorker::queue(
        info.Env(),
        [session, file] {
          io::SafetensorsFile stored = io::read_safetensors(file);
          NamedTensors state(stored.tensors.begin(), stored.tensors.end());
          session->load_state(state, file);
        },
        [](Napi::Env env) { return env.Undefined(); }, [model] { model->release(); });
  });
}

Napi::Value TrainerWrap::attach_process_group(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    TrainSession& current = session();
    if (!info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(ProcessGroupWrap::constructor.Value())) {
      wrong_argument("a ProcessGroup", "attachProcessGroup(group)", info[0]);
    }
    if (current.distributed()) fail(codes::kBusy, "attachProcessGroup: this trainer already trains data-parallel");
    std::shared_ptr<DistributedGroup> group = ProcessGroupWrap::Unwrap(info[0].As<Napi::Object>())->group();
    model_->acquire("attachProcessGroup");
    auto model = model_;
    auto session = session_;
    // The reducer is built here (no communication); rank 0's weights are broadcast off the JS thread.
    auto sync = std::make_shared<GradientSync>(group, model->get().named_parameters());
    return PromiseWorker::queue(
        info.Env(), [session, sync] { session->attach(sync); }, [](Napi::Env env) { return env.Undefined(); },
        [model] { model->release(); });
  });
}

Napi::Value TrainerWrap::step_count(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (model_->busy.load()) fail(codes::kBusy, "stepCount: the model is busy with another call; await it first");
    return Napi::Number::New(info.Env(), static_cast<double>(session().steps_taken()));
  });
}

Napi::Value TrainerWrap::loss_scale(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (model_->busy.load()) fail(codes::kBusy, "lossScale: the model is busy with another call; await it first");
    return Napi::Number::New(info.Env(), session().loss_scale());
  });
}

Napi::Value TrainerWrap::graphs_captured(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (model_->busy.load()) fail(codes::kBusy, "cudaGraphsCaptured: the model is busy with another call; await it first");
    return Napi::Number::New(info.Env(), static_cast<double>(session().graphs_captured()));
  });
}

Napi::Value TrainerWrap::dispose(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (session_ && model_->busy.load()) fail(codes::kBusy, "dispose: the trainer is busy with a step; await it first");
    session_.reset();
    return info.Env().Undefined();
  });
}

Napi::Value TrainerWrap::disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !session_); }

}  // namespace albert::binding
