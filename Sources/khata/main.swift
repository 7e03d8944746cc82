import KhataCommands

Khata.main()
