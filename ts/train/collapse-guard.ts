// The collapse guard: sees a run falling into the constant-predictor state (the reference
// run's 93% -> 48% after epoch 1) and says when to roll back. Pure decisions over numbers;
// the loop does the restoring (best weights and optimizer state) and halves the LR.
//
// A collapse is, after the run has been clearly better than a constant predictor:
//   1. eval accuracy at or below the majority-class rate + 1 point (or the minority rate:
//      a collapsed binary model scores one of the two), or
//   2. nearly all eval predictions (>= 98%) on one class, or
//   3. a non-finite training loss, or a logged training loss far above its best
//      (more than twice it and 0.3 above it).
import { AlbertTrainerError } from '../errors';
import { IGNORED_LABEL } from './metrics';

export const MAX_RECOVERIES = 3;
const MARGIN = 0.01; // "+ 1 point"
const CLEARLY_ABOVE = 0.05; // what "clearly above a constant predictor" means
const ONE_CLASS_SHARE = 0.98;

export type CollapseReason = 'accuracy' | 'one-class' | 'non-finite-loss' | 'loss-spike';

/** What a checkpoint keeps of the guard (bestLoggedLoss null: nothing logged yet). */
export interface CollapseGuardState {
  bestLoggedLoss: number | null;
  healthy: boolean;
  recoveries: number;
}

export class CollapseGuard {
  private bestLoggedLoss = Number.POSITIVE_INFINITY;
  private healthy = false; // has an evaluation been clearly above a constant predictor?
  recoveries = 0;

  /** `classShares`: each class's share of the evaluation labels. */
  constructor(private readonly classShares: readonly number[]) {}

  get majorityRate(): number {
    return Math.max(...this.classShares);
  }

  private get canRecover(): boolean {
    return this.healthy && this.recoveries < MAX_RECOVERIES;
  }

  snapshot(): CollapseGuardState {
    return { bestLoggedLoss: Number.isFinite(this.bestLoggedLoss) ? this.bestLoggedLoss : null, healthy: this.healthy, recoveries: this.recoveries };
  }

  restore(state: CollapseGuardState): void {
    this.bestLoggedLoss = state.bestLoggedLoss ?? Number.POSITIVE_INFINITY;
    this.healthy = state.healthy;
    this.recoveries = state.recoveries;
  }

  /** After an evaluation: the reason to roll back, or undefined. */
  checkEvaluation(accuracy: number, predictedShare: readonly number[]): CollapseReason | undefined {
    const constantRates = this.classShares.filter((share) => share > 0);
    const atConstant = constantRates.some((rate) => Math.abs(accuracy - rate) <= MARGIN) || accuracy <= this.majorityRate + MARGIN;
    const oneClass = Math.max(...predictedShare) >= ONE_CLASS_SHARE;
    const reason: CollapseReason | undefined = atConstant ? 'accuracy' : oneClass ? 'one-class' : undefined;
    if (!reason && accuracy >= this.majorityRate + CLEARLY_ABOVE) this.healthy = true;
    return reason && this.canRecover ? reason : undefined;
  }

  /** After a training step's loss. */
  checkStepLoss(loss: number): CollapseReason | undefined {
    return !Number.isFinite(loss) && this.canRecover ? 'non-finite-loss' : undefined;
  }

  /** At each logging step, with the mean loss since the previous log. */
  checkLoggedLoss(loss: number): CollapseReason | undefined {
    const spike = loss > 2 * this.bestLoggedLoss && loss > this.bestLoggedLoss + 0.3;
    this.bestLoggedLoss = Math.min(this.bestLoggedLoss, loss);
    return spike && this.canRecover ? 'loss-spike' : undefined;
  }
}

/** Each class's share of `labels` (of those not ignored: -100 rows are left out, as the metrics leave them). */
export function classShares(labels: Iterable<number>, numLabels: number): number[] {
  const counts = new Array<number>(numLabels).fill(0);
  let counted = 0;
  for (const label of labels) {
    if (label === IGNORED_LABEL) continue;
    if (!(label >= 0 && label < numLabels)) throw new AlbertTrainerError('ERR_INPUT', `evaluation label ${label} is outside [0, ${numLabels}) (num_labels; -100 marks an ignored row)`);
    counts[label] += 1;
    counted += 1;
  }
  if (counted === 0) throw new AlbertTrainerError('ERR_INPUT', 'every evaluation label is -100 (ignored): the collapse guard has no class shares to compare with');
  return counts.map((count) => count / counted);
}
