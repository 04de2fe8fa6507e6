using Diffusion.Net.Guidance;
using Diffusion.Net.IO;
using Diffusion.Net.Mnist.Data;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.PartA;
using Diffusion.Net.Mnist.Sampling;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using Diffusion.Net.Training;
using Diffusion.Net.Views;
using FluentAssertions;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Tests;

/// <summary>The CS180 UNets trained by flow matching: the convention at the network's boundary, training, loading, sampling and Part A.</summary>
public sealed class FlowModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-mnist-flow").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static ClassConditionalUNet TinyFlow(int seed = 1)
    {
        random.manual_seed(seed);
        var model = new ClassConditionalUNet(1, 4, objective: MnistObjective.Flow);
        model.eval();
        return model;
    }

    private static MnistRecipe TinyRecipe(MnistObjective objective, string? dir) => new("tiny-flow", MnistModelKind.ClassConditioned, 4,
        new TrainerOptions { Epochs = 3, BatchSize = 64, LearningRate = 2e-3, ItemsPerEpoch = 640, Seed = 5, CheckpointDirectory = dir, ProgressEvery = 1 },
        Objective: objective);

    [Fact]
    public void FlowNetwork_DeclaresFlowVelocityOnRectifiedFlow_AndMapsTimeAndSignAtItsBoundary()
    {
        using var model = TinyFlow();
        model.OutputKind.Should().Be(PredictionKind.FlowVelocity);
        model.Process.Should().BeOfType<RectifiedFlow>();
        model.Schedule.Should().BeNull();
        using var ddpm = new ClassConditionalUNet(1, 4);
        ddpm.OutputKind.Should().Be(PredictionKind.Epsilon);
        ddpm.Process.Should().BeSameAs(ddpm.Schedule);

        using var x = randn([2, 1, 28, 28], generator: new Generator(2));
        using var noGrad = no_grad();
        using var prediction = model.Predict(x, tensor(new[] { 250f, 1000f }), Condition.Classes(3, 7));
        prediction.Kind.Should().Be(PredictionKind.FlowVelocity);
        // Engine timestep τ = σ·1000 is CS180's t = 1 − σ; the engine's v = dx/dσ is −u.
        using var u = model.forward(x, tensor(new long[] { 3, 7 }), tensor(new[] { 0.75f, 0f }));
        TensorAssert.BitIdentical(prediction.Output, u.neg(), "v = −u at t = 1 − τ/1000");
    }

    [Fact]
    public void FlowNetwork_RefusesTimestepsOffThePath_BeforeRunning()
    {
        using var model = TinyFlow();
        using var x = zeros(1, 1, 28, 28);
        FluentActions.Invoking(() => model.Predict(x, tensor(new[] { 1000.5f }), Condition.None)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[0, 1000]*t ∈ [0, 1]*");
        FluentActions.Invoking(() => model.Predict(x, tensor(new[] { -1f }), Condition.None)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => model.Predict(x, tensor(new[] { float.NaN }), Condition.None)).Should().Throw<ArgumentOutOfRangeException>();
        // Validate() asks the network for the state's shape before any tensor work.
        FluentActions.Invoking(() => DiffusionPipeline.FromNoise(1, 1, 32, 32).Denoise(model, SigmaSchedule.FlowUniform(model.Process, 4), Condition.None).Validate())
            .Should().Throw<ArgumentException>().WithMessage("*[N, 1, 28, 28]*32, 32*");
        FluentActions.Invoking(() => new TimeConditionalUNet(1, 4, MnistSchedules.Cs180(), MnistObjective.Flow)).Should().Throw<ArgumentException>().WithParameterName("schedule");
        FluentActions.Invoking(() => new TimeConditionalUNet(1, 4, objective: (MnistObjective)7)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("objective");
    }

    [Fact]
    public async Task FlowTraining_LowersTheLoss_RecordsTheObjective_AndLoadingAcrossObjectivesIsRefused()
    {
        var data = await MnistDataset.LoadAsync(MnistSplit.Test);
        var flowDir = Path.Combine(_dir, "flow");
        var recipe = TinyRecipe(MnistObjective.Flow, flowDir);
        var model = (ClassConditionalUNet)MnistTraining.CreateModel(recipe);
        model.Objective.Should().Be(MnistObjective.Flow);
        var result = MnistTraining.CreateTrainer(recipe, model).Train(data);
        result.History.EpochMean(3).Should().BeLessThan(result.History.EpochMean(1));
        var weights = Path.Combine(flowDir, DiffusionTrainer.ModelFileName);
        using (var file = SafetensorsFile.Open(weights))
        {
            file.Metadata[DiffusionTrainer.PredictionTypeKey].Should().Be("flow_prediction");
            MnistTraining.ReadObjective(file.Metadata).Should().Be(MnistObjective.Flow);
        }

        using var reloaded = (ClassConditionalUNet)MnistTraining.Load(recipe, weights);
        reloaded.Objective.Should().Be(MnistObjective.Flow);
        foreach (var (name, t) in model.state_dict()) TensorAssert.BitIdentical(reloaded.state_dict()[name], t, name);

        var asDdpm = FluentActions.Invoking(() => MnistTraining.Load(TinyRecipe(MnistObjective.Ddpm, null), weights)).Should().Throw<ModelConfigException>().Which;
        asDdpm.Key.Should().Be(DiffusionTrainer.PredictionTypeKey);
        asDdpm.Message.Should().Contain(weights).And.Contain("flow_prediction").And.Contain("flow recipe");

        var ddpmDir = Path.Combine(_dir, "ddpm");
        var ddpmRecipe = TinyRecipe(MnistObjective.Ddpm, ddpmDir) with { Training = recipe.Training with { Epochs = 1, CheckpointDirectory = ddpmDir } };
        MnistTraining.CreateTrainer(ddpmRecipe, MnistTraining.CreateModel(ddpmRecipe)).Train(data);
        var ddpmWeights = Path.Combine(ddpmDir, DiffusionTrainer.ModelFileName);
        FluentActions.Invoking(() => MnistTraining.Load(recipe, ddpmWeights)).Should().Throw<ModelConfigException>().WithMessage("*'epsilon'*DDPM recipe*");
        // Files written before flow models existed carry no prediction type: they are DDPM models.
        var legacy = Path.Combine(_dir, "legacy.safetensors");
        using (var m = MnistTraining.Load(ddpmRecipe, ddpmWeights)) ModuleWeights.Save(m, legacy);
        MnistTraining.Load(ddpmRecipe, legacy).Dispose();
        FluentActions.Invoking(() => MnistTraining.Load(recipe, legacy)).Should().Throw<ModelConfigException>().WithMessage("*not recorded*");
    }

    [Fact]
    public void FlowRecipes_AreCs180sAndTheQuickCounterpart()
    {
        var time = MnistRecipes.FlowTimeConditioned;
        time.Objective.Should().Be(MnistObjective.Flow);
        (time.Hidden, time.Training.BatchSize, time.Training.Epochs, time.Training.LearningRate).Should().Be((64, 64, 10, 1e-2));
        Math.Pow(time.Training.LearningRateDecayPerEpoch, 10).Should().BeApproximately(0.1, 1e-12);
        MnistRecipes.FlowClassConditioned.Kind.Should().Be(MnistModelKind.ClassConditioned);
        // The quick flow preset is the DDPM quick preset's recipe in two thirds of its epochs, with the same tenfold decay.
        var quickFlow = MnistRecipes.QuickFlow.Training;
        quickFlow.Should().Be(MnistRecipes.Quick.Training with { Epochs = 2, LearningRateDecayPerEpoch = quickFlow.LearningRateDecayPerEpoch });
        Math.Pow(quickFlow.LearningRateDecayPerEpoch, 2).Should().BeApproximately(0.1, 1e-12);
        (MnistRecipes.QuickFlow.Hidden, MnistRecipes.QuickFlow.Objective).Should().Be((32, MnistObjective.Flow));
        MnistRecipes.Get("pure-noise-denoiser").Kind.Should().Be(MnistModelKind.PureNoiseDenoiser);

        FluentActions.Invoking(() => MnistTraining.CreateModel(MnistRecipes.QuickFlow with { MinSnrGamma = 5 })).Should().Throw<ArgumentException>().WithMessage("*Min-SNR*flow*");
        FluentActions.Invoking(() => MnistTraining.CreateModel(MnistRecipes.QuickDenoiser with { Objective = MnistObjective.Flow })).Should().Throw<ArgumentException>().WithMessage("*flow matching trains*");
        FluentActions.Invoking(() => MnistTraining.CreateModel(MnistRecipes.Quick with { Objective = (MnistObjective)9 })).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*unknown objective*");
        using var ddpmModel = MnistTraining.CreateModel(MnistRecipes.Quick with { Hidden = 4 });
        FluentActions.Invoking(() => MnistTraining.CreateTrainer(MnistRecipes.QuickFlow with { Hidden = 4 }, ddpmModel)).Should().Throw<ArgumentException>().WithMessage("*Ddpm ClassConditionalUNet*quick-flow*");
    }

    [Fact]
    public void FlowSamplers_ParseByName_CountTheirCalls_AndRefuseTheOtherObjective()
    {
        var flow = MnistSchedules.Flow();
        MnistSampler.Parse("euler-10", MnistObjective.Flow).ModelCalls(flow).Should().Be(10);
        MnistSampler.Parse("heun-10", MnistObjective.Flow).ModelCalls(flow).Should().Be(19);
        MnistSampler.Parse("dpm++2m-8", MnistObjective.Flow).ModelCalls(flow).Should().Be(8);
        MnistSampler.Parse("unipc-8", MnistObjective.Flow).ModelCalls(flow).Should().Be(8);
        MnistSampler.Parse("euler-400", MnistObjective.Flow).Steps.Should().Be(400);
        MnistSampler.Parse("euler-10", MnistObjective.Flow).Schedule(flow).Levels.Select(l => l.Sigma).Should().Equal(Enumerable.Range(0, 11).Select(i => 1 - i / 10.0));
        MnistSampler.Parse("ddpm").ModelCalls(MnistSchedules.Cs180()).Should().Be(300);

        FluentActions.Invoking(() => MnistSampler.Parse("ddpm", MnistObjective.Flow)).Should().Throw<ArgumentException>().WithMessage("*DDPM*flow model*euler-N*");
        FluentActions.Invoking(() => MnistSampler.Parse("euler-a-10", MnistObjective.Flow)).Should().Throw<ArgumentException>().WithMessage("*reads DDPM*");
        FluentActions.Invoking(() => MnistSampler.Parse("rk4-10", MnistObjective.Flow)).Should().Throw<ArgumentException>().WithMessage("*Unknown MNIST flow sampler 'rk4-10'*");
        FluentActions.Invoking(() => MnistSampler.Parse("euler-0", MnistObjective.Flow)).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => MnistSampler.Parse("euler", (MnistObjective)3)).Should().Throw<ArgumentOutOfRangeException>();

        using var flowModel = TinyFlow();
        using var ddpmModel = new ClassConditionalUNet(1, 4);
        FluentActions.Invoking(() => MnistSampling.ClassConditioned(flowModel, [1], sampler: MnistSampler.Ddpm())).Should().Throw<ArgumentException>().WithMessage("*'ddpm' reads DDPM*flow model*");
        FluentActions.Invoking(() => MnistSampling.ClassConditioned(ddpmModel, [1], sampler: MnistSampler.FlowEuler(10))).Should().Throw<ArgumentException>().WithMessage("*reads flow models*DDPM model*");
        FluentActions.Invoking(() => MnistSampling.ClassConditioned(flowModel, [1], guidanceScale: -1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("guidanceScale");
        FluentActions.Invoking(() => MnistSampling.ClassConditioned(flowModel, [1], guidanceScale: double.NaN)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void ClassConditionedFlowSampling_IsCs180sGuidedEulerLoop()
    {
        using var model = TinyFlow();
        const int steps = 6;
        const double gamma = 5;
        int[] digits = [0, 4, 9];
        using var noise = randn([3, 1, 28, 28], generator: new Generator(8));
        using var result = DiffusionPipeline.FromNoise(noise)
            .Denoise(model, SigmaSchedule.FlowUniform(model.Process, steps), Condition.Classes(digits))
            .WithGuidance(Guide.ClassifierFree(gamma))
            .WithSampler(MnistSampler.FlowEuler(steps, clipToDataRange: false).Sampler)
            .Run(seed: 0);

        using var noGrad = no_grad();
        var c = tensor(digits.Select(d => (long)d).ToArray());
        var none = full([3], -1L, ScalarType.Int64);
        var x = noise.clone();
        for (int i = 0; i < steps; i++)
        {
            var t = full([3], (float)i / steps);
            var uc = model.forward(x, c, t);
            var uu = model.forward(x, none, t);
            var u = uu + gamma * (uc - uu);
            x = x + u / steps;
        }
        TensorAssert.Close(result, x, 2e-5, because: "u = u_∅ + γ(u_c − u_∅), x ← x + u/N at t = i/N");
    }

    [Theory]
    [InlineData("euler-4")]
    [InlineData("heun-3")]
    [InlineData("dpm++2m-4")]
    [InlineData("unipc-4")]
    public void EveryFlowSampler_RunsDeterministically_AndCapturesTheTrajectory(string name)
    {
        using var model = TinyFlow();
        var sampler = MnistSampler.Parse(name, MnistObjective.Flow);
        var pipeline = MnistSampling.ClassConditioned(model, [1, 2], sampler: sampler);
        pipeline.TotalModelCalls.Should().Be(sampler.ModelCalls(model.Process));
        using var a = pipeline.CaptureTrajectory(1).Run(new DiffusionRunOptions { Seed = 3 });
        using var b = MnistSampling.ClassConditioned(model, [1, 2], sampler: sampler).Run(new DiffusionRunOptions { Seed = 3 });
        TensorAssert.BitIdentical(a.Sample, b.Sample, "same seed, same samples");
        a.Sample.isfinite().all().item<bool>().Should().BeTrue();
        a.Trajectory.Should().NotBeEmpty();
    }

    [Fact]
    public void PartA_RunsOnTheFlowModel_AndInpaintingKeepsTheKnownRegionExactly()
    {
        using var model = TinyFlow();
        var partA = new MnistPartA(model);
        partA.Strided.Should().BeNull();
        partA.Levels.StepCount.Should().Be(MnistPartA.FlowSteps);
        partA.TimestepAt(10).Should().BeApproximately(1000.0 * (1 - 10.0 / 30), 1e-9, "start index i is t_start = i/30");
        using var sources = rand([2, 1, 28, 28], generator: new Generator(4));

        using var sample = partA.Sample([3, 8], 2, seed: 1);
        using var edited = partA.Sdedit(sources, 10, null, seed: 1);
        using var again = partA.Sdedit(sources, 10, null, seed: 1);
        TensorAssert.BitIdentical(edited, again);
        using var mask = MnistPartA.LowerHalfMask();
        using var inpainted = partA.Inpainting(sources, mask, [1, 2]).Run(1);
        using var keep = (1 - mask).expand_as(sources).to(ScalarType.Bool);
        TensorAssert.Close(inpainted.masked_select(keep), sources.masked_select(keep), 1e-6, because: "outside the mask x ends as the source at σ = 0: (1 − t)·ε + t·x_orig with t = 1");
        using var anagram = partA.Anagram(6, 9, View.Rotate180, 2, seed: 1);
        using var hybrid = partA.Hybrid(0, 7, 2, seed: 1);
        foreach (var image in new[] { sample, edited, inpainted, anagram, hybrid })
        {
            image.shape.Should().Equal(2, 1, 28, 28);
            image.isfinite().all().item<bool>().Should().BeTrue();
        }
        FluentActions.Invoking(() => new MnistPartA(model, guidanceScale: -2)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task PureNoiseDenoiser_LearnsTheMeanDigit()
    {
        var data = await MnistDataset.LoadAsync(MnistSplit.Test);
        var recipe = MnistRecipes.QuickPureNoiseDenoiser with
        {
            Hidden = 4,
            Training = MnistRecipes.QuickPureNoiseDenoiser.Training with { Epochs = 2, ItemsPerEpoch = 1024, BatchSize = 64, Precision = TrainingPrecision.Float32, LearningRate = 2e-2 },
        };
        var model = (UnconditionalUNet)MnistTraining.CreateModel(recipe);
        var result = MnistTraining.CreateTrainer(recipe, model).Train(data);
        result.History.EpochMean(2).Should().BeLessThan(result.History.EpochMean(1));
        using var noGrad = no_grad();
        model.eval();
        using var mean = data.Images(0, 1024).mean([0]);
        using var output = model.forward(randn([8, 1, 28, 28], generator: new Generator(1)));
        double toMean = (output - mean).pow(2).mean().sqrt().item<float>();
        double blankToMean = mean.pow(2).mean().sqrt().item<float>();
        toMean.Should().BeLessThan(0.8 * blankToMean, "with no information in the input the MSE optimum is the mean digit");
        // The optimum's loss is the data's spread around its mean; a blank output would cost E[x²].
        using var images = data.Images(0, 1024);
        double spread = (images - mean).pow(2).mean().item<float>(), blank = images.pow(2).mean().item<float>();
        result.History.EpochMean(2).Should().BeLessThan(spread + 0.5 * (blank - spread));
    }
}
