using FluentAssertions;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Interactions;
using OpenQA.Selenium.Support.UI;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;
using Xunit.Abstractions;

namespace Diffusion.Net.Samples.Web.Tests;

/// <summary>The web sample driven in a real headless Chromium: generate, draw and edit, anagram, screenshot, a bad upload.</summary>
public sealed class BrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private WebAppHost _host = null!;
    private ChromeDriver _driver = null!;
    private string _profile = null!;

    public async Task InitializeAsync()
    {
        _host = await WebAppHost.StartAsync();
        _profile = Directory.CreateTempSubdirectory("dn-chromium").FullName;
        _driver = Browser.Start(_profile);
        _driver.Navigate().GoToUrl(_host.Address);
        Wait().Until(d => d.FindElement(By.Id("status")).GetAttribute("class") == "ready");
    }

    public async Task DisposeAsync()
    {
        _driver?.Quit();
        _driver?.Dispose();
        if (_host is not null) await _host.DisposeAsync();
        if (_profile is not null) Directory.Delete(_profile, true);
    }

    private WebDriverWait Wait(int seconds = 30) => new(_driver, TimeSpan.FromSeconds(seconds));

    private IReadOnlyList<IWebElement> LoadedImages(string container)
        => _driver.FindElements(By.CssSelector($"#{container} img.result"))
            .Where(i => Convert.ToInt64(((IJavaScriptExecutor)_driver).ExecuteScript("return arguments[0].complete ? arguments[0].naturalWidth : 0;", i)) == 28).ToList();

    [Fact]
    public void GeneratingDigits_ShowsTheGrid_AndTheScreenshotIsNotBlank()
    {
        var digits = _driver.FindElement(By.Id("digits"));
        digits.Clear();
        digits.SendKeys("0369");
        var perDigit = _driver.FindElement(By.Id("perDigit"));
        perDigit.Clear();
        perDigit.SendKeys("2");
        _driver.FindElement(By.Id("generate")).Click();
        Wait().Until(_ => LoadedImages("grid").Count == 8);
        _driver.FindElement(By.Id("error")).Displayed.Should().BeFalse();

        var grid = _driver.FindElement(By.Id("grid"));
        var shot = _driver.GetScreenshot();
        using var page = Image.Load<Rgb24>(shot.AsByteArray);
        var whole = Variance(page, new Rectangle(0, 0, page.Width, page.Height));
        var region = new Rectangle(grid.Location.X, grid.Location.Y, Math.Min(grid.Size.Width, page.Width - grid.Location.X), Math.Min(grid.Size.Height, page.Height - grid.Location.Y));
        var images = Variance(page, region);
        output.WriteLine($"screenshot {page.Width}×{page.Height}: variance {whole:0.0}; grid {region}: variance {images:0.0}");
        whole.Should().BeGreaterThan(100, "a rendered page has text, borders and pictures");
        images.Should().BeGreaterThan(100, "the grid shows the generated digits, not an empty box");
    }

    [Fact]
    public void ADrawnDigit_IsSdedited_AndAnagramsAppearInPairs()
    {
        var pad = _driver.FindElement(By.Id("pad"));
        new Actions(_driver).MoveToElement(pad, -20, -100).ClickAndHold().MoveByOffset(30, 80).MoveByOffset(10, 120).Release().Perform();
        _driver.FindElement(By.Id("editDigit")).SendKeys("1");
        _driver.FindElement(By.Id("edit")).Click();
        Wait().Until(_ => LoadedImages("editResults").Count == 4);

        ((IJavaScriptExecutor)_driver).ExecuteScript("document.getElementById('mode').value = 'inpaint-lower';");
        _driver.FindElement(By.Id("edit")).Click();
        Wait().Until(_ => LoadedImages("editResults").Count == 4 && _driver.FindElement(By.Id("edit")).Enabled);

        _driver.FindElement(By.Id("anagram")).Click();
        Wait().Until(_ => _driver.FindElements(By.CssSelector("#anagramResults .pair img.turned")).Count == 4);
        _driver.FindElement(By.Id("error")).Displayed.Should().BeFalse();
    }

    [Fact]
    public void ABadUpload_GetsAClearMessage()
    {
        var bad = Path.Combine(_host.Folder, "digit.png");
        File.WriteAllText(bad, "this is not a picture");
        _driver.FindElement(By.Id("file")).SendKeys(bad);
        _driver.FindElement(By.Id("edit")).Click();
        var error = _driver.FindElement(By.Id("error"));
        Wait().Until(_ => error.Displayed);
        output.WriteLine(error.Text);
        error.Text.Should().Contain("Invalid request").And.Contain("The uploaded image could not be used").And.Contain("format is not recognised");
        LoadedImages("editResults").Should().BeEmpty();
    }

    [Fact]
    public void ABadDigit_GetsAClearMessage()
    {
        var digits = _driver.FindElement(By.Id("digits"));
        digits.Clear();
        digits.SendKeys("12x");
        _driver.FindElement(By.Id("generate")).Click();
        var error = _driver.FindElement(By.Id("error"));
        Wait().Until(_ => error.Displayed);
        error.Text.Should().Contain("'12x' holds something other than the digits 0–9");
    }

    /// <summary>Variance of the luminance over a region of the screenshot.</summary>
    private static double Variance(Image<Rgb24> image, Rectangle region)
    {
        double sum = 0, sumSquares = 0;
        long n = 0;
        for (int y = region.Top; y < region.Bottom; y++)
            for (int x = region.Left; x < region.Right; x++)
            {
                var p = image[x, y];
                double l = 0.299 * p.R + 0.587 * p.G + 0.114 * p.B;
                sum += l;
                sumSquares += l * l;
                n++;
            }
        double mean = sum / Math.Max(1, n);
        return sumSquares / Math.Max(1, n) - mean * mean;
    }
}
