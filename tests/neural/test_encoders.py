import numpy as np
import torch

from neurosym.neural import SERIES_SUMMARIES, LifelogEncoder, RecordEncoder, TrajectoryEncoder, ancestor_table
from neurosym.ontology import Ontology


def test_ancestor_table_own_classification_first_then_other_systems():
    clinical = Ontology.load("clinical")
    concepts, table = ancestor_table(["icd10cm:E66.01", "icd10cm:E66.09", "rxnorm:6809"], [clinical], 4)
    rows = [[concepts[i - 1] if i else None for i in row] for row in table.tolist()]
    assert rows[1] == ["icd10cm:E66.01", "icd10cm:E66.0", "icd10cm:E66", "icd10cm:E65-E68"]
    assert rows[2][1:3] == ["icd10cm:E66.0", "icd10cm:E66"]       # siblings share their parents' rows
    assert rows[3] == ["rxnorm:6809", None, None, None] and rows[0] == [None] * 4
    concepts, table = ancestor_table(["icd10cm:E66.01"], [clinical], 8)
    assert [concepts[i - 1] for i in table[1]][4:] == ["icd10cm:E00-E89", "neurosym:Obesity",
                                                      "neurosym:OverweightOrObesity", "snomed:414916001"]


def test_gram_mixes_ancestors_and_flat_does_not():
    torch.manual_seed(0)
    table = torch.tensor([[0, 0], [1, 3], [2, 3]])
    gram, flat = RecordEncoder(table, 3, dim=4), RecordEncoder(table, 3, dim=4, flat=True)
    flat.load_state_dict(gram.state_dict())
    own = gram.embed.weight[[1, 2]]
    assert torch.allclose(flat.code_embeddings()[1:], own)
    assert not torch.allclose(gram.code_embeddings()[1:], own)
    assert torch.equal(gram.code_embeddings()[0], torch.zeros(4))  # padding stays zero


def test_padding_and_masked_values_do_not_change_outputs():
    torch.manual_seed(0)
    rec = RecordEncoder(torch.tensor([[0, 0], [1, 3], [2, 3]]), 3, dim=4).eval()
    a = rec(torch.tensor([[1, 2, 0]]), torch.ones(1, 3), torch.ones(1, 3))
    b = rec(torch.tensor([[1, 2, 0]]), torch.tensor([[1.0, 1.0, 9.0]]), torch.tensor([[1.0, 1.0, 9.0]]))
    assert torch.equal(a, b)
    traj = TrajectoryEncoder(2, dim=4).eval()
    labs, age = torch.randn(3, 2, 5), torch.rand(3, 2, 5)
    mask = torch.rand(3, 2, 5) > 0.4
    mask[..., -1] = True
    assert torch.equal(traj(labs * mask, age * mask, mask), traj(labs * mask, age * mask, mask))
    life = LifelogEncoder(4, 14, dim=4).eval()
    x, m = torch.randn(2, 14, 4), torch.rand(2, 14, 4) > 0.3
    wear, known, day = torch.rand(2, 14), torch.ones(2, 14, dtype=torch.bool), torch.tensor([19000, 19003])
    noisy = torch.where(m, x, torch.full_like(x, 1e4))   # garbage where not worn: ignored, never read as activity
    assert torch.allclose(life(x * m, m, wear, known, day), life(noisy, m, wear, known, day))


def test_output_shapes():
    assert TrajectoryEncoder(3, dim=8)(torch.zeros(5, 3, 4), torch.zeros(5, 3, 4), torch.zeros(5, 3, 4) > 0).shape == (5, 8)
    out = LifelogEncoder(4, 30, dim=6)(torch.zeros(5, 30, 4), torch.zeros(5, 30, 4) > 0, torch.zeros(5, 30),
                                       torch.zeros(5, 30) > 0, torch.arange(5))
    assert out.shape == (5, 6) and np.isfinite(out.detach().numpy()).all()


def test_linear_scores_a_rare_leaf_as_its_parents_unless_flat():
    table = torch.tensor([[0, 0, 0], [1, 3, 4], [2, 3, 4]])    # codes 1 and 2: leaves under concepts 3 and 4
    gram, flat = RecordEncoder(table, 4, dim=4), RecordEncoder(table, 4, dim=4, flat=True)
    for enc in (gram, flat):
        enc.wide.weight.data.copy_(torch.tensor([[0.0], [0.5], [0.0], [1.0], [0.25]]))
    codes = torch.tensor([[2, 0], [1, 2], [0, 0]])
    assert gram.linear(codes).tolist() == [1.25, 3.0, 0.0]     # code 2 (weight 0) scores as its ancestors
    assert flat.linear(codes).tolist() == [0.0, 0.5, 0.0]
    assert torch.equal(RecordEncoder(table, 4, dim=4).linear(codes), torch.zeros(3))  # weights start at 0


def test_wide_encoders_pass_on_their_normalised_summaries():
    labs = TrajectoryEncoder(n_analytes=3, dim=8, gru_steps=2, wide=True).eval()
    x = torch.randn(4, 3, 6)
    out = labs(x, torch.rand(4, 3, 6), torch.ones(4, 3, 6, dtype=torch.bool))
    assert labs.out_dim == 8 + 3 * len(SERIES_SUMMARIES) and out.shape == (4, labs.out_dim)
    life = LifelogEncoder(n_channels=4, days=28, dim=8, wide=True)
    daily = torch.zeros(2, 28, 4)
    out = life(daily, daily > 0, torch.zeros(2, 28), torch.zeros(2, 28, dtype=torch.bool), torch.tensor([0, 1]))
    assert life.out_dim == 8 + 44 and out.shape == (2, 52)
