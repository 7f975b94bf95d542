print("wordsmith")
