#include "binding/compute_thread.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace albert::binding {
namespace {

class ComputeThread {
 public:
  ComputeThread() : thread_([this] { loop(); }) { thread_.detach(); }

  void run(const std::function<void()>& work) {
    Task task{&work, false};
    std::unique_lock<std::mutex> lock(mutex_);
    queue_.push_back(&task);
    wake_.notify_all();
    done_.wait(lock, [&] { return task.finished; });
  }

 private:
  struct Task {
    const std::function<void()>* work;
    bool finished;
  };

  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return !queue_.empty(); });
      Task* task = queue_.front();
      queue_.pop_front();
      lock.unlock();
      (*task->work)();
      lock.lock();
      task->finished = true;
      done_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::deque<Task*> queue_;
  std::thread thread_;
};

}  // namespace

void run_on_compute_thread(const std::function<void()>& work) {
  // Never destroyed: the detached thread may be waiting when the process exits.
  static ComputeThread* const compute = new ComputeThread();
  compute->run(work);
}

}  // namespace albert::binding
